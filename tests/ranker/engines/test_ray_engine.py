"""The Ray engine (ranker/engines/ray_engine.py) on a local two-CPU Ray cluster started once for the module:
same scores as the local engine, the same cache, unreadable files reported with their node, a worker
killed mid-run and a cancelled job losing nothing, the backbone actor pool, and the CLI joining a cluster."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.engines.local_engine import LocalEngine
from ranker.engines.ray_engine import RayEngine
from ranker.progress import Cancelled
from ranker.store.catalog import Catalog
from tests.ranker.shoots import write_known_shoot

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[3]
# One Ray start (~10 s, ~0.5 GB) for the whole module; each test is a few seconds on top.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Ray with 2 CPUs; its workers share one model cache (for the tiny backbone) and this repo."""
    cache = tmp_path_factory.mktemp("ray-cache")
    env = {"PHOTOTRIAGE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT), "PHOTOTRIAGE_TORCH_THREADS": "1"}
    info = ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
        runtime_env={"env_vars": env},
    )
    yield info.address_info["gcs_address"], cache
    ray.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two shoots under one folder, and a file no worker can decode."""
    root = tmp_path_factory.mktemp("archive")
    write_known_shoot(root / "wedding", sources=("astronaut", "chelsea"), size=320, seed=1)
    write_known_shoot(
        root / "party", sources=("coffee", "rocket"), size=320, seed=2, start=datetime(2024, 5, 4, 21, 0, 0)
    )  # the evening after the wedding
    (root / "party" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


def _rank(root, catalog_path, engine=None, on_progress=None, cancel=None):
    options = PipelineOptions(recursive=True, device="cpu", engine=engine)
    with Catalog(catalog_path) as catalog:
        return run(rank_shoot(root, catalog, options=options, cancel=cancel), on_progress)


def _key(path) -> str:
    return f"{Path(path).parent.name}/{Path(path).name}"  # both shoots number their files from DSC_0001


def _scores(ranking) -> dict[str, float]:
    return {_key(p.path): p.score for burst in ranking.bursts for p in burst.photos}


@pytest.fixture(scope="module")
def local(archive, tmp_path_factory):
    return _rank(archive, tmp_path_factory.mktemp("local") / "catalog.db")


def test_same_ranking_as_the_local_engine_and_a_later_local_rank_is_all_cache(cluster, archive, local, tmp_path):
    ranked = _rank(archive, tmp_path / "catalog.db", RayEngine(cpu_batch=4))
    assert (ranked.stats["photos"], ranked.stats["decoded"], ranked.stats["cached"]) == (25, 24, 0)
    assert [[_key(p.path) for p in b.photos] for b in ranked.bursts] == [
        [_key(p.path) for p in b.photos] for b in local.bursts
    ]
    ray_scores, local_scores = _scores(ranked), _scores(local)
    assert ray_scores.keys() == local_scores.keys() and len(ray_scores) == 24
    np.testing.assert_allclose([ray_scores[k] for k in local_scores], list(local_scores.values()), atol=1e-6)
    signals = {_key(p.path): p.signals for b in ranked.bursts for p in b.photos}
    assert signals == {_key(p.path): p.signals for b in local.bursts for p in b.photos}
    # The bad file is reported with the machine and the path that failed; every other photo went on.
    (error,) = ranked.errors
    assert error.path == archive / "party" / "broken.jpg"
    assert f"on node {os.uname().nodename}" in error.reason and str(error.path) in error.reason
    again = _rank(archive, tmp_path / "catalog.db")  # the desktop's engine, on the catalog Ray filled
    assert (again.stats["photos"], again.stats["decoded"], again.stats["cached"]) == (25, 0, 24)
    assert _scores(again) == ray_scores


def _decode_workers() -> list[int]:
    """PIDs of Ray workers busy in the decode stage (Ray names the process after the task it runs)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"ray::MapBatches(decode_batch)" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _committed(catalog_path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(catalog_path) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT fingerprint FROM features")}


def test_a_worker_killed_mid_run_loses_no_committed_result(cluster, archive, local, tmp_path):
    catalog_path = tmp_path / "catalog.db"
    seen: dict[str, object] = {}
    done = threading.Event()

    def killer():  # the first decode worker seen busy is SIGKILLed, whatever the driver has committed by then
        while not done.is_set():
            if pids := _decode_workers():
                seen["before"] = _committed(catalog_path) if catalog_path.exists() else set()
                os.kill(pids[0], signal.SIGKILL)
                seen["killed"] = pids[0]
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=killer)
    watcher.start()
    try:
        ranked = _rank(archive, catalog_path, RayEngine(cpu_batch=2))
    finally:
        done.set()
        watcher.join()
    assert "killed" in seen, "no decode worker was ever seen busy"
    assert seen["before"] <= _committed(catalog_path)  # nothing committed before the kill was lost
    assert ranked.stats["decoded"] == 24 and len(ranked.errors) == 1  # Ray re-ran the killed task
    np.testing.assert_allclose(sorted(_scores(ranked).values()), sorted(_scores(local).values()), atol=1e-6)


def test_cancel_ends_the_cluster_job_and_a_rerun_resumes_from_the_cache(cluster, archive, tmp_path):
    catalog_path = tmp_path / "catalog.db"
    cancel = threading.Event()
    first: list[int] = []

    def on_progress(progress):
        if progress.stage == "scan" and progress.done and not first:
            first.append(progress.done)
            cancel.set()

    with pytest.raises(Cancelled):
        _rank(archive, catalog_path, RayEngine(cpu_batch=2), on_progress, cancel)
    committed = len(_committed(catalog_path))
    assert 0 < committed < 24
    deadline = time.monotonic() + 30
    while ray.available_resources().get("CPU", 0) < 2:  # the job's tasks were stopped, not left to run
        assert time.monotonic() < deadline, ray.available_resources()
        time.sleep(0.2)
    resumed = _rank(archive, catalog_path, RayEngine(cpu_batch=4))
    assert resumed.stats["cached"] == committed and resumed.stats["decoded"] == 24 - committed


@dataclass
class _Job:
    decode_path: Path
    missing: list[str] = field(default_factory=list)


def test_backbones_run_in_the_actor_pool_with_the_local_engines_results(cluster, archive, monkeypatch):
    from ranker.features.cnn import IMAGENET_MEAN, IMAGENET_STD, ResNetLayer3Extractor
    from ranker.features.iqa import IqaExtractor
    from ranker.features.torch_backbone import Preprocess
    from tests.ranker.features.tiny_models import TINY_RESNET_BLOCKS, fake_weights, save_state, tiny_resnet

    _, cache = cluster
    monkeypatch.setenv("PHOTOTRIAGE_CACHE_DIR", str(cache))  # the driver and the workers see one cache
    weights = fake_weights("tinycnn", "tiny-resnet.pth")
    save_state(tiny_resnet().state_dict(), weights.path)
    cnn = ResNetLayer3Extractor(
        "tinycnn",
        "tiny-1",
        weights,
        Preprocess(64, IMAGENET_MEAN, IMAGENET_STD),
        blocks=TINY_RESNET_BLOCKS,
        device="cpu",
    )
    extractors = [IqaExtractor(), cnn]
    paths = sorted((archive / "wedding").glob("*.JPG"))[:6]
    # photo 0 misses both, the others only the backbone: the actor embeds only what is missing
    jobs = [_Job(p, ["iqa", "tinycnn"] if i == 0 else ["tinycnn"]) for i, p in enumerate(paths)]
    got = {
        job.decode_path: outcome
        for batch in RayEngine(cpu_batch=2).analyse(jobs, extractors, 256)
        for job, outcome in batch
    }
    want = {
        job.decode_path: outcome for batch in LocalEngine(1).analyse(jobs, extractors, 256) for job, outcome in batch
    }
    assert got.keys() == want.keys() == set(paths)
    for path in paths:
        assert got[path].vectors.keys() == want[path].vectors.keys()
        for name, vector in want[path].vectors.items():
            np.testing.assert_allclose(got[path].vectors[name], vector, rtol=1e-5, atol=1e-6)
        assert got[path].signals == want[path].signals and got[path].meta == want[path].meta


def test_a_node_without_the_backbone_weights_fails_the_job_naming_the_fix(cluster, archive):
    from ranker.features.cnn import IMAGENET_MEAN, IMAGENET_STD, ResNetLayer3Extractor
    from ranker.features.torch_backbone import Preprocess
    from ranker.features.weights import ModelMissingError
    from tests.ranker.features.tiny_models import fake_weights

    cnn = ResNetLayer3Extractor(
        "nowhere",
        "1",
        fake_weights("nowhere", "not-on-any-node.pth"),
        Preprocess(64, IMAGENET_MEAN, IMAGENET_STD),
        device="cpu",
    )
    jobs = [_Job(p, ["nowhere"]) for p in sorted((archive / "wedding").glob("*.JPG"))[:2]]
    with pytest.raises(ModelMissingError, match="nowhere: weights not found at .*not-on-any-node.pth"):
        list(RayEngine().analyse(jobs, [cnn], 256))


def test_the_cli_joins_a_running_cluster_and_prints_the_local_ranking(cluster, archive, local, tmp_path):
    address, _ = cluster
    env = dict(
        os.environ, PHOTOTRIAGE_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT), PHOTOTRIAGE_TORCH_THREADS="1"
    )
    out = tmp_path / "ranking.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ranker",
            "rank",
            str(archive),
            "--recursive",
            "--quiet",
            "--device",
            "cpu",
            "--engine",
            "ray",
            "--address",
            address,
            "--json",
            str(out),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranked = json.loads(out.read_text())
    scores = {_key(p["path"]): p["score"] for b in ranked["bursts"] for p in b["photos"]}
    expected = {k: round(v, 6) for k, v in _scores(local).items()}
    assert scores.keys() == expected.keys()
    np.testing.assert_allclose([scores[k] for k in expected], list(expected.values()), atol=2e-6)
    assert "24 analysed, 0 from cache" in result.stdout
    assert "broken.jpg" in result.stdout and "on node" in result.stdout
