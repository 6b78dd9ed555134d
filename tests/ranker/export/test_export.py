"""Tests ranker/export/: copy/move/link selects with sidecars, collisions, faults, and a kill mid-move."""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ranker import export
from ranker.export import ExportItem, plan_export, run_export, write_report
from ranker.export.embed import same_image
from ranker.io import files
from ranker.progress import Progress
from ranker.xmp import Decision, RankInfo, embedded_decision, read_xmp

DATA = Path(__file__).resolve().parents[2] / "data" / "xmp"
REPO = Path(__file__).resolve().parents[3]
PICK = Decision("pick", 4, "green")


def make_jpeg(path: Path, seed: int) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def make_raw(path: Path, seed: int, size: int = 20_000) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def make_pair(folder: Path, stem: str, seed: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return make_raw(folder / f"{stem}.CR2", seed), make_jpeg(folder / f"{stem}.JPG", seed)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder` with its content hash and mtime."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def drain(gen) -> tuple[list[Progress], export.ExportReport]:
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value


def run(plan, **kw):
    steps, report = drain(run_export(plan, **kw))
    assert steps[-1].item is report and steps[-1].done == steps[-1].total
    return report


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX)] if folder.exists() else []


@pytest.fixture
def shoot(tmp_path):
    """A RAW+JPEG pair with a Lightroom sidecar and a darktable sidecar for the JPEG, plus a lone JPEG."""
    src = tmp_path / "shoot"
    raw, jpg = make_pair(src, "IMG_0001", 1)
    shutil.copy(DATA / "lightroom.xmp", src / "IMG_0001.xmp")
    shutil.copy(DATA / "darktable.xmp", src / "IMG_0001.JPG.xmp")
    lone = make_jpeg(src / "IMG_0002.JPG", 2)
    items = [
        ExportItem((raw, jpg), burst_id=3, rank=1, score=0.91, decision=PICK, model="default-v1"),
        ExportItem((lone,), burst_id=3, rank=2, score=0.42, decision=Decision("reject", 0, None)),
    ]
    return src, items


# ----------------------------------------------------------------------------- copy


def test_copy_pair_with_sidecars(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "selects"
    before = snapshot(src)
    report = run(plan_export(items, dest))
    assert snapshot(src) == before  # originals: same bytes, same mtimes, sidecars untouched
    assert sorted(p.name for p in dest.iterdir()) == [
        "IMG_0001.CR2",
        "IMG_0001.JPG",
        "IMG_0001.JPG.xmp",
        "IMG_0001.xmp",
        "IMG_0002.JPG",
        "IMG_0002.xmp",
    ]
    assert (dest / "IMG_0001.CR2").read_bytes() == (src / "IMG_0001.CR2").read_bytes()
    for name, decision in (("IMG_0001.JPG", PICK), ("IMG_0002.JPG", Decision("reject", 0, None))):
        # The JPEG copies carry the decision inside (Lightroom reads no sidecar for a JPEG); the image is the same.
        assert same_image((src / name).read_bytes(), (dest / name).read_bytes())
        assert (dest / name).read_bytes() != (src / name).read_bytes()
        assert embedded_decision(dest / name) == decision
    for name in ("IMG_0001.CR2", "IMG_0001.JPG", "IMG_0002.JPG"):
        assert (dest / name).stat().st_mtime_ns == (src / name).stat().st_mtime_ns
    rank = RankInfo(3, 1, 0.91, "default-v1")
    assert read_xmp(dest / "IMG_0001.xmp") == (PICK, rank)
    assert read_xmp(dest / "IMG_0001.JPG.xmp") == (PICK, rank)
    assert read_xmp(dest / "IMG_0002.xmp") == (Decision("reject", 0, None), RankInfo(3, 2, 0.42, ""))
    # The travelling sidecars kept what Lightroom and darktable wrote.
    assert b'crs:Exposure2012="+0.35"' in (dest / "IMG_0001.xmp").read_bytes()
    assert b'darktable:operation="filmicrgb"' in (dest / "IMG_0001.JPG.xmp").read_bytes()
    assert len(report.copied) == 5 and not report.failed and not report.skipped
    assert len(report.sidecars_written) == 3
    assert "5 copied" in report.summary()
    assert not temp_files(dest)


def test_copy_without_sidecar_writing_keeps_sidecars_as_they_were(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "out"
    run(plan_export(items, dest, write_sidecars=False))
    assert (dest / "IMG_0001.xmp").read_bytes() == (src / "IMG_0001.xmp").read_bytes()
    assert (dest / "IMG_0001.JPG.xmp").read_bytes() == (src / "IMG_0001.JPG.xmp").read_bytes()
    assert not (dest / "IMG_0002.xmp").exists()


def test_darktable_style_sidecars(tmp_path):
    raw, jpg = make_pair(tmp_path / "src", "DSC_1", 5)
    dest = tmp_path / "out"
    run(plan_export([ExportItem((raw, jpg), 1, 1, 0.5, PICK)], dest, sidecar_style="darktable"))
    assert sorted(p.name for p in dest.iterdir()) == ["DSC_1.CR2", "DSC_1.CR2.xmp", "DSC_1.JPG", "DSC_1.JPG.xmp"]
    assert read_xmp(dest / "DSC_1.CR2.xmp")[0] == PICK


def test_dry_run_describe_touches_nothing(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "not-yet"
    before = snapshot(tmp_path)
    plan = plan_export(items, dest, mode="move")
    text = plan.describe()
    assert snapshot(tmp_path) == before and not dest.exists()
    assert "move" in text and "IMG_0001.CR2" in text and "IMG_0001.JPG.xmp" in text and "will be created" in text
    assert "nothing has been written" in text
    assert {op.kind for op in plan.ops} == {"photo", "sidecar", "xmp"}


def test_rerun_resumes_without_duplicates(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "out"
    run(plan_export(items, dest))
    first = snapshot(dest)
    plan = plan_export(items, dest)
    assert {op.status for op in plan.ops if op.kind == "photo"} == {"exists"}
    report = run(plan)
    assert snapshot(dest) == first
    assert not report.copied and not report.failed


# ----------------------------------------------------------------------------- collisions


def test_collision_suffix_keeps_pair_and_sidecars_on_one_stem(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "out"
    dest.mkdir()
    make_raw(dest / "IMG_0001.CR2", 99)  # a different photo already has the name
    (dest / "IMG_0001-1.xmp").write_bytes(b"stray sidecar")  # and a stray sidecar blocks -1
    before = snapshot(dest)
    plan = plan_export(items, dest)
    photo_dests = [op.dest.name for op in plan.ops if op.item == 0]
    assert (
        photo_dests
        == [
            "IMG_0001-2.CR2",
            "IMG_0001-2.JPG",
            "IMG_0001-2.xmp",
            "IMG_0001-2.JPG.xmp",
            "IMG_0001-2.xmp",
            "IMG_0001-2.JPG.xmp",
        ][: len(photo_dests)]
    )
    assert {op.status for op in plan.ops if op.item == 0 and op.kind != "xmp"} == {"renamed"}
    run(plan)
    for name, value in before.items():
        assert snapshot(dest)[name] == value  # nothing there was overwritten
    assert (dest / "IMG_0001-2.CR2").read_bytes() == (src / "IMG_0001.CR2").read_bytes()
    assert read_xmp(dest / "IMG_0001-2.xmp")[0] == PICK
    assert read_xmp(dest / "IMG_0001-2.JPG.xmp")[0] == PICK
    assert (dest / "IMG_0002.JPG").exists()


def test_same_name_from_two_folders_in_one_plan(tmp_path):
    a = make_jpeg((tmp_path / "a").mkdir() or tmp_path / "a" / "IMG_1.JPG", 1)
    b = make_jpeg((tmp_path / "b").mkdir() or tmp_path / "b" / "IMG_1.JPG", 2)
    dest = tmp_path / "out"
    run(plan_export([ExportItem((a,), 1, 1, 0.5, PICK), ExportItem((b,), 1, 2, 0.4, PICK)], dest))
    assert same_image((dest / "IMG_1.JPG").read_bytes(), a.read_bytes())
    assert same_image((dest / "IMG_1-1.JPG").read_bytes(), b.read_bytes())
    assert read_xmp(dest / "IMG_1-1.xmp")[1].rank == 2


def test_collision_skip(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "out"
    dest.mkdir()
    make_raw(dest / "IMG_0001.JPG", 7)
    before = snapshot(dest)
    plan = plan_export(items, dest, on_collision="skip")
    assert "skip" in plan.describe()
    report = run(plan)
    assert snapshot(dest)["IMG_0001.JPG"] == before["IMG_0001.JPG"]
    assert not (dest / "IMG_0001.CR2").exists() and not (dest / "IMG_0001.xmp").exists()
    assert {e.source.name for e in report.skipped} >= {"IMG_0001.CR2", "IMG_0001.JPG"}
    assert all("IMG_0001.JPG already exists" in e.detail for e in report.skipped)
    assert (dest / "IMG_0002.JPG").exists()


# ----------------------------------------------------------------------------- move and link


@pytest.mark.parametrize("cross_fs", [False, True], ids=["same-fs", "cross-fs"])
def test_move(shoot, tmp_path, monkeypatch, cross_fs):
    if cross_fs:  # force the copy-verify-delete path
        monkeypatch.setattr(export.place, "_same_filesystem", lambda a, b: False)
    src, items = shoot
    contents = {p.name: p.read_bytes() for p in src.iterdir()}
    dest = tmp_path / "out"
    report = run(plan_export(items, dest, mode="move"))
    assert not list(src.iterdir())
    for name, data in contents.items():
        if not name.endswith(".xmp"):
            assert (dest / name).read_bytes() == data
    assert read_xmp(dest / "IMG_0001.xmp")[0] == PICK
    assert len(report.moved) == 5 and not report.failed
    assert {e.detail for e in report.moved} == ({"copy"} if cross_fs else {"link-move"})


def test_move_keeps_the_source_when_verification_fails(shoot, tmp_path, monkeypatch):
    monkeypatch.setattr(export.place, "_same_filesystem", lambda a, b: False)
    real = export.place._copy_data

    def corrupting(fsrc, fdst, digest):
        n = real(fsrc, fdst, digest)
        fdst.write(b"!")  # the bytes on disk no longer match what was read
        return n

    monkeypatch.setattr(export.place, "_copy_data", corrupting)
    src, items = shoot
    before = snapshot(src)
    dest = tmp_path / "out"
    report = run(plan_export(items, dest, mode="move"))
    assert snapshot(src) == before
    assert not [p for p in dest.iterdir()]
    assert report.failed and all("verification failed" in e.detail for e in report.failed)


@pytest.mark.parametrize("cross_fs", [False, True], ids=["hardlink", "symlink"])
def test_link(shoot, tmp_path, monkeypatch, cross_fs):
    if cross_fs:
        monkeypatch.setattr(export.place, "_same_filesystem", lambda a, b: False)
    src, items = shoot
    before = snapshot(src)
    dest = tmp_path / "out"
    report = run(plan_export(items, dest, mode="link"))
    kind = "symlink" if cross_fs else "hardlink"
    assert [e.detail for e in report.linked] == [kind] * 3
    assert kind in report.summary()
    raw = dest / "IMG_0001.CR2"
    if cross_fs:
        assert raw.is_symlink() and raw.resolve() == (src / "IMG_0001.CR2").resolve()
    else:
        assert raw.stat().st_ino == (src / "IMG_0001.CR2").stat().st_ino
    # Sidecars are copies: merging our decision must not reach the source's sidecar.
    assert (dest / "IMG_0001.xmp").stat().st_ino != (src / "IMG_0001.xmp").stat().st_ino
    assert read_xmp(dest / "IMG_0001.xmp")[0] == PICK
    assert snapshot(src) == before


# ----------------------------------------------------------------------------- faults


def _three_items(tmp_path):
    src = tmp_path / "src"
    items = [ExportItem(make_pair(src, f"IMG_{i}", i), 1, i, 0.5, PICK) for i in range(3)]
    return src, items


def test_destination_full_fails_one_photo_and_goes_on(tmp_path, monkeypatch):
    src, items = _three_items(tmp_path)
    before = snapshot(src)
    real = export.place._copy_data

    def filling(fsrc, fdst, digest):
        if Path(fsrc.name).name == "IMG_1.JPG":
            fdst.write(fsrc.read(1000))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fsrc, fdst, digest)

    monkeypatch.setattr(export.place, "_copy_data", filling)
    monkeypatch.setattr(export.place, "_same_filesystem", lambda a, b: False)  # a move that has to copy
    dest = tmp_path / "out"
    report = run(plan_export(items, dest, mode="move"))
    assert [(e.source.name, e.detail) for e in report.failed] == [
        ("IMG_1.JPG", "destination full (no space left on device)")
    ]
    # The pair stays together: IMG_1.CR2 was placed, then rolled back, and both sources remain.
    assert (src / "IMG_1.CR2").exists() and (src / "IMG_1.JPG").exists()
    assert not (dest / "IMG_1.CR2").exists() and not (dest / "IMG_1.JPG").exists()
    assert any(e.source.name == "IMG_1.CR2" and "IMG_1.JPG failed" in e.detail for e in report.skipped)
    assert sorted(p.name for p in dest.iterdir()) == [
        "IMG_0.CR2",
        "IMG_0.JPG",
        "IMG_0.xmp",
        "IMG_2.CR2",
        "IMG_2.JPG",
        "IMG_2.xmp",
    ]
    assert {k: v for k, v in before.items() if k.startswith("IMG_1")} == snapshot(src)
    assert not temp_files(dest)


@pytest.mark.parametrize(
    "error, reason",
    [
        (OSError(errno.EROFS, "Read-only file system"), "destination is read-only"),
        (PermissionError(errno.EACCES, "Permission denied", "/out/x"), "permission denied"),
    ],
)
def test_unwritable_destination_reports_every_file(tmp_path, monkeypatch, error, reason):
    src, items = _three_items(tmp_path)
    before = snapshot(src)

    def refuse(source, final, embed=None):
        raise error

    monkeypatch.setattr(export.place, "_copy_verified", refuse)
    report = run(plan_export(items, tmp_path / "out"))
    assert len(report.failed) == 3 and all(reason in e.detail for e in report.failed)
    assert len(report.skipped) == 3  # each pair's second file: not attempted once the first failed
    assert not report.copied and snapshot(src) == before
    assert "3 failed" in report.summary() and reason in report.summary()


def test_source_vanishing_mid_export(tmp_path):
    src, items = _three_items(tmp_path)
    dest = tmp_path / "out"
    gen = run_export(plan_export(items, dest))
    first = next(gen)
    assert first.done == 0
    step = next(gen)  # IMG_0.CR2 is done
    assert step.item.source.name == "IMG_0.CR2"
    (src / "IMG_2.JPG").unlink()
    _, report = drain(gen)
    assert [(e.source.name, e.detail) for e in report.failed] == [
        ("IMG_2.JPG", f"source vanished: {src / 'IMG_2.JPG'}")
    ]
    assert not (dest / "IMG_2.CR2").exists() and (src / "IMG_2.CR2").exists()
    assert (dest / "IMG_1.JPG").exists()


def test_cancel_between_photos(tmp_path):
    _, items = _three_items(tmp_path)
    cancel = threading.Event()
    gen = run_export(plan_export(items, tmp_path / "out"), cancel=cancel)
    for p in gen:
        if isinstance(p.item, export.ReportEntry) and p.item.source.name == "IMG_0.JPG":
            cancel.set()
        if isinstance(p.item, export.ExportReport):
            report = p.item
    assert report.cancelled and "cancelled" in report.summary()
    assert len(report.copied) == 2 and {e.detail for e in report.skipped} == {"cancelled"}


def test_leftover_temp_files_are_cleaned(tmp_path):
    _, items = _three_items(tmp_path)
    dest = tmp_path / "out"
    dest.mkdir()
    dead = dest / f"{files.TEMP_PREFIX}{2**22 + 1234}-abcdef.part"  # above any possible pid
    dead.write_bytes(b"half a photo")
    report = run(plan_export(items, dest))
    assert report.cleaned == [dead] and not dead.exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        plan_export([], tmp_path, mode="teleport")
    with pytest.raises(ValueError):
        plan_export([], tmp_path, on_collision="overwrite")
    with pytest.raises(ValueError):
        plan_export([ExportItem((), 1, 1, 0.1, PICK)], tmp_path)


# ----------------------------------------------------------------------------- kill mid-move

KILL_SNIPPET = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from ranker import export
    from ranker.xmp import Decision
    export.place._same_filesystem = lambda a, b: False  # the copy-verify-delete path, the one with a window
    real_copy = export.place._copy_data
    def slow_copy(fsrc, fdst, digest):  # stretch each copy so the kill lands mid-run on any machine
        n = real_copy(fsrc, fdst, digest)
        time.sleep(0.01)
        return n
    export.place._copy_data = slow_copy
    src, dest = Path(sys.argv[1]), Path(sys.argv[2])
    items = [export.ExportItem((p,), 1, i, 0.5, Decision("pick", 3, None))
             for i, p in enumerate(sorted(src.glob("*.CR2")))]
    for n, _ in enumerate(export.run_export(export.plan_export(items, dest, mode="move"))):
        if n == 1:
            print("started", flush=True)
    print("done", flush=True)
""")


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_kill_during_move_loses_nothing(tmp_path, seed):
    rng = random.Random(seed)
    src, dest = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    expected = {}
    for i in range(40):
        data = rng.randbytes(rng.randint(200_000, 600_000))
        (src / f"IMG_{i:03d}.CR2").write_bytes(data)
        expected[f"IMG_{i:03d}.CR2"] = data
        if i % 3 == 0:
            shutil.copy(DATA / "lightroom.xmp", src / f"IMG_{i:03d}.xmp")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SNIPPET, str(src), str(dest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the export subprocess did not start"
        assert proc.stdout.readline() == b"started\n", proc.stderr.read()
        threading.Event().wait(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL, "the export finished before the kill"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()

    # Every photo is at its source (untouched) or complete at the destination; never neither.
    for name, data in expected.items():
        at_src, at_dest = src / name, dest / name
        assert at_src.exists() or at_dest.exists(), name
        if at_src.exists():
            assert at_src.read_bytes() == data
        if at_dest.exists():
            assert at_dest.read_bytes() == data
    for p in dest.iterdir() if dest.exists() else []:
        if p.name.startswith(files.TEMP_PREFIX):
            continue
        assert p.name in expected or p.suffix == ".xmp", p.name
        if p.suffix == ".xmp":
            read_xmp(p)  # complete and parsable, never half written
    for i in range(0, 40, 3):  # Lightroom's sidecars: at the source, or at the destination with their fields
        name = f"IMG_{i:03d}.xmp"
        assert (src / name).exists() or b"crs:Exposure2012" in (dest / name).read_bytes()

    # The next run into that folder removes what the killed one left and finishes the job.
    left = temp_files(dest)
    items = [ExportItem((p,), 1, 0, 0.5, Decision("pick", 3, None)) for p in sorted(src.glob("*.CR2"))]
    report = run(plan_export(items, dest, mode="move"))
    assert sorted(report.cleaned) == sorted(left)
    assert not temp_files(dest) and not report.failed
    assert not list(src.glob("*.CR2"))
    for name, data in expected.items():
        assert (dest / name).read_bytes() == data
    assert not [p for p in dest.iterdir() if "-1." in p.name]  # resumed, not duplicated


# ----------------------------------------------------------------------------- report file


def test_write_report_csv_and_json(shoot, tmp_path):
    _, items = shoot
    with write_report(items, tmp_path / "r.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0] == {
        "path": str(items[0].files[0]),
        "burst": "3",
        "rank": "1",
        "score": "0.91",
        "flag": "pick",
        "rating": "4",
        "label": "green",
    }
    assert rows[1]["flag"] == "reject" and rows[1]["label"] == ""
    data = json.loads((write_report(items, tmp_path / "r.json")).read_text())
    assert data[1] == {
        "path": str(items[1].files[0]),
        "burst": 3,
        "rank": 2,
        "score": 0.42,
        "flag": "reject",
        "rating": 0,
        "label": None,
    }
    with pytest.raises(ValueError):
        write_report(items, tmp_path / "r.txt")


@pytest.mark.parametrize("mode", ["copy", "link"])
def test_export_into_the_source_folder_never_loses_the_original(shoot, mode):
    src, items = shoot
    data = {p.name: p.read_bytes() for p in src.iterdir() if not p.name.endswith(".xmp")}
    plan = plan_export(items, src, mode=mode)
    assert all(op.status == "renamed" for op in plan.ops if op.kind == "photo")
    report = run(plan)
    assert not report.failed
    for name, content in data.items():
        renamed = src / export.plan._suffixed(name, 1)
        assert renamed.read_bytes() == content or (mode == "copy" and same_image(renamed.read_bytes(), content))
        assert (src / name).exists() == (mode != "move")


@pytest.mark.parametrize("inside", [False, True])
def test_move_into_the_source_folder_is_refused_before_anything_is_touched(shoot, inside):
    """Moving a folder's photos into itself would only rename every original (ac_0.JPG → ac_0-1.JPG)."""
    src, items = shoot
    before = sorted(p.name for p in src.iterdir())
    dest = src / "selects" if inside else src
    with pytest.raises(ValueError, match="folder the photos are in"):
        plan_export(items, dest, mode="move")
    assert sorted(p.name for p in src.iterdir()) == before


def test_a_destination_that_is_a_file_is_one_clear_error(shoot, tmp_path):
    _, items = shoot
    (tmp_path / "dest").write_bytes(b"not a folder")
    with pytest.raises(ValueError, match="not a folder"):
        plan_export(items, tmp_path / "dest", mode="copy")


def test_darktable_duplicates_sidecars_travel_untouched(tmp_path):
    src = tmp_path / "src"
    raw, _jpg = make_pair(src, "IMG_5952", 7)
    shutil.copy(DATA / "darktable.xmp", src / "IMG_5952.CR2.xmp")
    shutil.copy(DATA / "darktable.xmp", src / "IMG_5952_01.CR2.xmp")  # darktable's duplicate version 1
    (src / "IMG_5952_x1.CR2.xmp").write_bytes(b"not a duplicate")  # only _NN counts
    duplicate = (src / "IMG_5952_01.CR2.xmp").read_bytes()
    dest = tmp_path / "out"
    (dest).mkdir()
    make_raw(dest / "IMG_5952.CR2", 99)  # a name collision: everything moves to the -1 stem together
    report = run(plan_export([ExportItem((raw,), 1, 1, 0.9, PICK)], dest, sidecar_style="darktable"))
    assert report.ok
    assert (dest / "IMG_5952-1_01.CR2.xmp").read_bytes() == duplicate
    assert read_xmp(dest / "IMG_5952-1.CR2.xmp")[0] == PICK
    assert not (dest / "IMG_5952-1_x1.CR2.xmp").exists()
