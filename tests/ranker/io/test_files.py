"""Safe file writes: all-or-nothing replacement, permissions carried over, no temp file left behind."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from ranker.io import files


def _temps(folder):
    return [p for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX)]


def test_atomic_write_replaces_and_keeps_the_old_mode(tmp_path):
    target = tmp_path / "a.xmp"
    target.write_bytes(b"old")
    target.chmod(0o640)
    files.atomic_write_bytes(target, b"new", like=target.stat())
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not _temps(tmp_path)


def test_a_failed_write_leaves_the_target_and_no_temp(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the good one")
    with pytest.raises(RuntimeError, match="disk on fire"), files.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"the good one"
    assert not _temps(tmp_path)


def test_text_and_digest(tmp_path):
    target = tmp_path / "prefs.json"
    files.atomic_write_text(target, "ünïcode {}")
    assert target.read_text(encoding="utf-8") == "ünïcode {}"
    assert files.sha256_of(target) == hashlib.sha256("ünïcode {}".encode()).hexdigest()


def test_cleanup_removes_only_what_dead_runs_left(tmp_path):
    dead = tmp_path / f"{files.TEMP_PREFIX}{2**22 + 7}-abcdef.part"  # above any possible pid
    mine = files.temp_path(tmp_path)
    dead.write_bytes(b"x")
    mine.write_bytes(b"y")
    (tmp_path / "photo.jpg").write_bytes(b"z")
    assert files.clean_temp_files(tmp_path) == [dead]
    assert mine.exists() and (tmp_path / "photo.jpg").exists()
    old = os.stat(mine).st_mtime - files.STALE_TEMP_AGE_S - 10
    os.utime(mine, (old, old))
    assert files.clean_temp_files(tmp_path) == [mine]
