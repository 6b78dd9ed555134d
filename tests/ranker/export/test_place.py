"""Tests ranker/export/place.py: moves and links, verified copies, full or read-only destinations, a kill mid-move."""

from __future__ import annotations

import errno
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

import pytest

from ranker import export
from ranker.export import ExportItem, plan_export
from ranker.io import files
from ranker.xmp import Decision, read_xmp
from tests.ranker.export.helpers import DATA, PICK, run, snapshot, temp_files, three_items


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


def test_destination_full_fails_one_photo_and_goes_on(tmp_path, monkeypatch):
    src, items = three_items(tmp_path)
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
    src, items = three_items(tmp_path)
    before = snapshot(src)

    def refuse(source, final, embed=None):
        raise error

    monkeypatch.setattr(export.place, "_copy_verified", refuse)
    report = run(plan_export(items, tmp_path / "out"))
    assert len(report.failed) == 3 and all(reason in e.detail for e in report.failed)
    assert len(report.skipped) == 3  # each pair's second file: not attempted once the first failed
    assert not report.copied and snapshot(src) == before
    assert "3 failed" in report.summary() and reason in report.summary()


REPO = Path(__file__).resolve().parents[3]


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
