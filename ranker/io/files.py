"""Writing files safely: all-or-nothing replacement with fsync, temp names a killed run can clean, sha256."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

#: every temp file PhotoTriage creates starts with this and its pid, so a later run can remove what a kill left
TEMP_PREFIX = ".phototriage-tmp-"
#: a temp file this old is abandoned whatever its pid says (pids are reused)
STALE_TEMP_AGE_S = 24 * 3600
_CHUNK = 1 << 20


def temp_path(folder: Path, suffix: str = ".part") -> Path:
    """A fresh temp name in `folder` that marks its owner process, for cleanup after a kill."""
    return Path(folder) / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{suffix}"


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there; rely on age alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temp files a killed PhotoTriage process left in `folder`; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            pid = int(entry.name[len(TEMP_PREFIX) :].split("-", 1)[0])
        except ValueError:
            pid = -1
        try:
            st = entry.stat(follow_symlinks=False)
            stale = now - st.st_mtime > STALE_TEMP_AGE_S
            if pid == os.getpid() and not stale:
                continue  # possibly a job still running in this very process
            if pid > 0 and _pid_alive(pid) and not stale:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); a no-op where directories cannot be opened."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def replacing(target: Path, *, like: os.stat_result | None = None) -> Iterator[Path]:
    """Yield a temp path beside `target` to write by any means (torch.save, a copy); on success it is
    fsynced and renamed over `target`, and the rename made durable; on any failure it is removed and
    `target` is untouched. `like` is the stat of the file being replaced: its permissions (and owner,
    when we may) carry over."""
    target = Path(target)
    tmp = temp_path(target.parent)
    try:
        yield tmp
        _fsync_file(tmp)
        if like is not None:
            os.chmod(tmp, stat.S_IMODE(like.st_mode))
            if hasattr(os, "chown"):
                with contextlib.suppress(OSError):
                    os.chown(tmp, like.st_uid, like.st_gid)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes, *, like: os.stat_result | None = None) -> None:
    """Write `data` to `target` all-or-nothing (see `replacing`); the temp file is created exclusively."""
    with replacing(target, like=like) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


def atomic_write_text(target: Path, text: str) -> None:
    """`atomic_write_bytes` for UTF-8 text (preferences, pointers, caches)."""
    atomic_write_bytes(target, text.encode("utf-8"))


def sha256_of(path: Path) -> str:
    """The file's sha256 as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()
