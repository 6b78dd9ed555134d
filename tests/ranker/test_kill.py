"""Kill test: SIGKILL `rank` (and export) at seeded random moments in a subprocess, then check that the
catalog opens and passes integrity_check, no decision was lost and no source photo changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.datasets.synthetic import SKIMAGE_PHOTOS, iter_sources, write_shoot
from ranker.decisions import Decision
from ranker.export.embed import same_image
from ranker.store.catalog import Catalog
from tests.synthetic_files import textured_image, write_jpeg

SEED = 5952
RANK_KILLS = 3
EXPORT_KILLS = 3  # per mode
ROOT = Path(__file__).resolve().parents[2]
# Bounded: each child start imports torch (a few seconds; far more on a loaded machine).
pytestmark = [pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL"), pytest.mark.timeout(240)]

# The child imports everything first and says so; the parent starts its random delay only then,
# so the kill lands while work is being done, not while Python is still importing torch.
RANK_CHILD = """
import sys
import ranker.cli.main, ranker.culling.pipeline, ranker.cli.commands.rank
print("ready", flush=True)
code = ranker.cli.main.main(["rank", sys.argv[1], "--quiet", "--device", "cpu"])
print("done", flush=True)
sys.exit(code)
"""
EXPORT_CHILD = """
import sys
import ranker.cli.main, ranker.culling.pipeline, ranker.cli.commands.export as command
real_run_export = command.run_export

def announced(plan, **kwargs):  # the real export, announced: kills are timed from its start
    print("exporting", flush=True)
    return (yield from real_run_export(plan, **kwargs))

command.run_export = announced
print("ready", flush=True)
argv = ["export", sys.argv[1], "--to", sys.argv[2], "--" + sys.argv[3], "--quiet", "--device", "cpu"]
code = ranker.cli.main.main(argv)
print("done", flush=True)  # before interpreter shutdown, which takes longer than the export itself
sys.exit(code)
"""


def _env(data: Path) -> dict:
    env = dict(os.environ)
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(PHOTOTRIAGE_DATA_DIR=str(data), HF_HUB_OFFLINE="1", PYTHONPATH=path, PHOTOTRIAGE_TORCH_THREADS="1")
    return env


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _kill_after(script: str, args: list[str], env: dict, delay: float | None, start: str = "ready") -> str | float:
    """Start the child, wait for its `start` line, sleep `delay`, SIGKILL it; returns how it ended.
    With delay None the child runs to completion and the seconds from `start` to "done" are returned."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in child.stdout:
            if line.strip() == start:
                break
        else:
            pytest.fail(f"the child ended before {start!r}: {child.stderr.read()}")
        started = time.perf_counter()
        if delay is None:
            for line in child.stdout:
                if line.strip() == "done":
                    break
            elapsed = time.perf_counter() - started
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, (out, err)
            return elapsed
        time.sleep(delay)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            outcome = "killed"
        else:
            outcome = f"finished first (exit {child.returncode})"
        child.wait(timeout=30)
        return outcome
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()


def _check_catalog(path: Path, decisions: dict[int, Decision]) -> None:
    with sqlite3.connect(path) as db:  # recovers the WAL a killed writer left, like Catalog does
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    catalog = Catalog(path)
    try:
        assert catalog.notices == [], catalog.notices  # not set aside as corrupt and replaced
        for photo_id, decision in decisions.items():
            assert catalog.decision(photo_id) == decision, f"decision of photo {photo_id} lost"
    finally:
        catalog.close()


def _shoot(folder: Path, rng: np.random.Generator, sources: int, size: int) -> None:
    names = SKIMAGE_PHOTOS[:sources]
    write_shoot(folder, list(iter_sources(names)), rng, level="clear", frames=5, size=size)


@pytest.fixture()
def env(app_dirs):
    """The data directory the suite's app_dirs fixture set for this test: child and test share the catalog."""
    data = Path(os.environ["PHOTOTRIAGE_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    return data, _env(data)


def test_killed_rank_loses_no_decision_and_changes_no_photo(tmp_path, env):
    data, child_env = env
    rng = np.random.default_rng(SEED)
    catalog_path = data / "catalog.db"
    first = tmp_path / "shoot-0"
    _shoot(first, rng, sources=4, size=384)
    # A ranked shoot with decisions on it, as a user would have after culling.
    with Catalog(catalog_path) as catalog:
        ranking = run(rank_shoot(first, catalog, options=PipelineOptions(device="cpu")))
        ids = [p.photo_id for b in ranking.bursts for p in b.photos]
        choices = [Decision("pick", 5, "green"), Decision("reject"), Decision(None, 3, "red"), Decision("pick", 1)]
        decisions = {pid: choices[i % len(choices)] for i, pid in enumerate(ids[::2])}
        for pid, decision in decisions.items():
            catalog.set_decision(pid, decision)
    # How long a child takes over a shoot like the ones it is killed on, from "ready" to its end:
    # kills drawn inside that land while it works, however fast this machine and the analysis are.
    calibration = tmp_path / "shoot-calibration"
    _shoot(calibration, rng, sources=6, size=512)
    work = _kill_after(RANK_CHILD, [str(calibration)], child_env, None)
    assert isinstance(work, float)
    shoots = [first, calibration]
    outcomes = []
    for i in range(RANK_KILLS):
        shoot = tmp_path / f"shoot-{i + 1}"
        _shoot(shoot, rng, sources=6, size=512)
        shoots.append(shoot)
        before = {s: _hashes(s) for s in shoots}
        outcomes.append(_kill_after(RANK_CHILD, [str(shoot)], child_env, float(rng.uniform(0.0, 0.9 * work))))
        assert {s: _hashes(s) for s in shoots} == before, "rank changed a source file"
        _check_catalog(catalog_path, decisions)
        # A decision made between runs must survive the next kill too.
        with Catalog(catalog_path) as catalog:
            decisions[ids[1]] = Decision("pick", i + 1)
            catalog.set_decision(ids[1], decisions[ids[1]])
    assert "killed" in outcomes, outcomes
    # After all the kills, ranking resumes and completes over the same catalog.
    with Catalog(catalog_path) as catalog:
        for shoot in shoots:
            ranking = run(rank_shoot(shoot, catalog, options=PipelineOptions(device="cpu")))
            assert not ranking.errors
            assert sum(len(b.photos) for b in ranking.bursts) == len(list(shoot.glob("*.JPG")))
    _check_catalog(catalog_path, decisions)


def _other_filesystem(near: Path) -> Path | None:
    """A writable folder on another file system than `near` (a move there is copy + verify + delete)."""
    for candidate in (Path("/dev/shm"), Path(tempfile.gettempdir())):
        try:
            if candidate.is_dir() and os.access(candidate, os.W_OK) and candidate.stat().st_dev != near.stat().st_dev:
                return Path(tempfile.mkdtemp(prefix="phototriage-kill-", dir=candidate))
        except OSError:
            continue
    return None


@pytest.fixture()
def elsewhere(tmp_path):
    folder = _other_filesystem(tmp_path)
    yield folder
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(
    "mode,across", [("copy", False), ("move", False), ("move", True)], ids=["copy", "move", "move-across-filesystems"]
)
def test_killed_export_loses_and_corrupts_nothing(tmp_path, env, elsewhere, mode, across):
    pytest.importorskip("ranker.export")
    from ranker.cli import main as cli

    if across and elsewhere is None:
        pytest.skip("no second file system to export to")
    data, child_env = env
    rng = np.random.default_rng([SEED, mode == "move", across])
    delays = np.random.default_rng([SEED, 1, mode == "move", across]).uniform(0.0, 1.0, size=EXPORT_KILLS)
    source = tmp_path / "shoot"
    source.mkdir()
    # Camera-sized files (about 2 MB each, unique by their EXIF), so the export takes measurable time.
    start = datetime(2024, 6, 1, 10, 0, 0)
    scenes = [textured_image((1600, 1200), seed=int(rng.integers(1 << 30))) for _ in range(4)]
    for i in range(48):
        write_jpeg(
            source / f"IMG_{i + 1:04d}.JPG",
            scenes[(i // 4) % len(scenes)],
            quality=95,
            capture_time=start + timedelta(seconds=60 * (i // 4)),
            subsec=f"{(i % 4) * 30:02d}",
        )
    originals = _hashes(source)
    contents = {name: (source / name).read_bytes() for name in originals}
    dest = (elsewhere if across else tmp_path) / "export"
    catalog_path = data / "catalog.db"
    # Ranked and partly decided beforehand, so the child's own rank step is a cache hit and the
    # random kill mostly lands in the export itself.
    with Catalog(catalog_path) as catalog:
        ranking = run(rank_shoot(source, catalog, options=PipelineOptions(device="cpu")))
        ids = [p.photo_id for b in ranking.bursts for p in b.photos]
        decisions = {pid: Decision("pick", 1 + i % 5, "blue" if i % 2 else None) for i, pid in enumerate(ids[::3])}
        for pid, decision in decisions.items():
            catalog.set_decision(pid, decision)
    # Calibrate: how long the child's export takes here, on a copy of the shoot with its own catalog.
    probe = tmp_path / "probe"
    probe.mkdir()
    for name in originals:
        (probe / name).write_bytes((source / name).read_bytes())
    (tmp_path / "probe-data").mkdir()
    window = _kill_after(
        EXPORT_CHILD,
        [str(probe), str((elsewhere if across else tmp_path) / "probe-dest"), mode],
        _env(tmp_path / "probe-data"),
        None,
        "exporting",
    )
    outcomes = []
    for share in delays:
        if not list(source.glob("*.JPG")):
            break  # a move that finished before its kill leaves nothing to export
        outcomes.append(
            _kill_after(EXPORT_CHILD, [str(source), str(dest), mode], child_env, float(share * window), "exporting")
        )
        # Every photo is whole somewhere: at its source, at the destination, or both; never half-written.
        for name, digest in originals.items():
            places = [p for p in (source / name, dest / name) if p.exists()]
            assert places, f"{name} lost"
            for place in places:
                data = place.read_bytes()
                # A copy may carry the decision in its own XMP: every other byte is the original's.
                assert hashlib.sha256(data).hexdigest() == digest or (
                    place.parent == dest and mode == "copy" and same_image(contents[name], data)
                ), f"{place} is damaged"
        if mode == "copy":
            assert _hashes(source) == originals, "copy changed a source file"
        stray = (
            [p.name for p in dest.iterdir() if p.suffix == ".JPG" and p.name not in originals] if dest.exists() else []
        )
        assert not stray, f"unexpected files at the destination: {stray}"
        _check_catalog(catalog_path, decisions)
    assert "killed" in outcomes, outcomes
    # Running the export again finishes the job and cleans up what the killed process left.
    if list(source.glob("*.JPG")):  # a killed move may already have finished every photo
        assert cli.main(["export", str(source), "--to", str(dest), f"--{mode}", "--quiet", "--device", "cpu"]) == 0
    exported = {name: digest for name, digest in _hashes(dest).items() if name.endswith(".JPG")}
    if mode == "copy":  # copies may carry the decision in their own XMP: every other byte is the original's
        assert exported.keys() == originals.keys()
        assert all(exported[n] == d or same_image(contents[n], (dest / n).read_bytes()) for n, d in originals.items())
        assert _hashes(source) == originals
    else:
        assert exported == originals, "a moved photo is missing or damaged"
        assert not list(source.glob("*.JPG")), "move left sources behind"
    assert not [p for p in dest.iterdir() if p.name.startswith(".phototriage-tmp-")]
    _check_catalog(catalog_path, decisions)
