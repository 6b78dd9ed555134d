"""Placing one file: a temp copy verified by size and sha256 (and its XMP), then linked or renamed; never clobbers."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ranker.export.embed import EmbedError
from ranker.export.plan import FileOp, _identical, same_image, with_xmp
from ranker.io.files import fsync_dir, sha256_of, temp_path
from ranker.xmp import (
    Decision,
    XmpError,
    embedded_decision,
)

_CHUNK = 1024 * 1024


# Errors meaning "this file system has no hard links" (FAT/exFAT cards, some network shares).
_NO_HARDLINK = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}


class _Failure(Exception):
    """A file could not be placed; the message is the reason shown to the user."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Failure):
        return str(exc)
    if isinstance(exc, XmpError):
        return f"sidecar not updated: {exc.reason}"
    if isinstance(exc, OSError):
        code = exc.errno
        if code == errno.ENOSPC:
            return "destination full (no space left on device)"
        if code == errno.EROFS:
            return "destination is read-only"
        if code in (errno.EACCES, errno.EPERM):
            # link/rename errors name the source first; the file that could not be written is the second
            return f"permission denied ({exc.filename2 or exc.filename or exc.strerror})"
        if code == errno.EEXIST:
            return f"destination appeared after planning: {exc.filename}"
        if code == errno.EDQUOT:
            return "destination quota exceeded"
        return f"{exc.strerror or exc} ({errno.errorcode.get(code, code) if code is not None else code})"
    return f"{type(exc).__name__}: {exc}"


def _same_filesystem(source: Path, dest_dir: Path) -> bool:
    return os.stat(source).st_dev == os.stat(dest_dir).st_dev


def _copy_data(fsrc: BinaryIO, fdst: BinaryIO, digest: hashlib._Hash) -> int:
    """Stream `fsrc` into `fdst`, hashing what was read; returns the byte count."""
    total = 0
    while chunk := fsrc.read(_CHUNK):
        digest.update(chunk)
        fdst.write(chunk)
        total += len(chunk)
    return total


def _link_no_clobber(existing: Path, final: Path) -> str:
    """Give `existing` the name `final` without ever replacing a file there."""
    try:
        os.link(existing, final)
        return "link"
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_HARDLINK:
            raise
    # No hard links on this file system: check, then rename (we are the only writer here).
    if os.path.lexists(final):
        raise FileExistsError(errno.EEXIST, "File exists", str(final))
    os.rename(existing, final)
    return "rename"


def _embedded_copy(tmp: Path, final: Path, packet: bytes, decision: Decision) -> Path:
    """A second temp file: the verified copy `tmp` with `packet` as its XMP, itself verified (same image
    bytes as the original, the decision reads back, the bytes on disk are the ones meant)."""
    data = tmp.read_bytes()
    new = with_xmp(data, packet)
    if not same_image(data, new):
        raise EmbedError("the copy with XMP would differ from the original outside its XMP")
    out = temp_path(final.parent)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
        shutil.copystat(tmp, out)
        if sha256_of(out) != hashlib.sha256(new).hexdigest() or embedded_decision(out) != decision:
            raise _Failure(f"verification failed: the copy of {final.name} with its XMP does not read back")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(out)
        raise
    return out


def _copy_verified(source: Path, final: Path, embed: tuple[bytes, Decision] | None = None) -> str:
    """Copy to a temp name beside `final`, fsync, verify size + sha256, then name it `final`.

    With `embed` (packet, decision) the verified copy is rewritten to carry the packet and verified
    again; a file that cannot take it stays a plain copy. Returns "copy", "copy+xmp" or "copy (no XMP
    inside: why)"."""
    try:
        fsrc = open(source, "rb")  # noqa: SIM115 - opened apart to tell a vanished source from other errors
    except FileNotFoundError:
        raise _Failure(f"source vanished: {source}") from None
    with fsrc:
        before = os.fstat(fsrc.fileno())
        tmp = temp_path(final.parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as fdst:
                size = _copy_data(fsrc, fdst, digest)
                fdst.flush()
                os.fsync(fdst.fileno())
            after = os.stat(source)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or size != after.st_size:
                raise _Failure(f"source changed while it was copied: {source}")
            shutil.copystat(source, tmp)
            if os.path.getsize(tmp) != size or sha256_of(tmp) != digest.hexdigest():
                raise _Failure(f"verification failed: the copy of {source.name} differs from the source")
            how = "copy"
            if embed is not None:
                try:
                    rewritten = _embedded_copy(tmp, final, *embed)
                except (EmbedError, XmpError) as exc:
                    # e.g. a packet over 64 KB: the plain verified copy goes out instead, and says so
                    how = f"copy (no XMP inside: {exc}; the sidecar carries the decision)"
                else:
                    os.unlink(tmp)
                    tmp, how = rewritten, "copy+xmp"
            if _link_no_clobber(tmp, final) == "link":
                os.unlink(tmp)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    fsync_dir(final.parent)
    return how


@dataclass
class _Placed:
    op: FileOp
    how: str  # "copy", "link-move", "rename", "hardlink", "symlink", "exists"


def _place(op: FileOp, mode: str, embed: tuple[bytes, Decision] | None = None) -> _Placed:
    try:
        return _place_file(op, mode, embed)
    except FileNotFoundError:
        if not os.path.lexists(op.source):
            raise _Failure(f"source vanished: {op.source}") from None
        raise


def _place_file(op: FileOp, mode: str, embed: tuple[bytes, Decision] | None = None) -> _Placed:
    src, final = op.source, op.dest
    if op.status == "exists":
        if op.kind == "photo" and not _identical(src, final):
            raise _Failure(f"{final.name} at the destination changed after planning")
        return _Placed(op, "exists")
    if not os.path.lexists(src):
        raise _Failure(f"source vanished: {src}")
    if os.path.lexists(final):
        raise FileExistsError(errno.EEXIST, "File exists", str(final))
    if mode == "move" and _same_filesystem(src, final.parent):
        try:
            how = _link_no_clobber(src, final)
            fsync_dir(final.parent)
            return _Placed(op, "link-move" if how == "link" else "rename")
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
    if mode == "link" and op.kind == "photo":
        # Sidecars are copied even here: we merge into them, which must not touch the source's.
        if _same_filesystem(src, final.parent):
            try:
                os.link(src, final)
                return _Placed(op, "hardlink")
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in _NO_HARDLINK:
                    raise
        os.symlink(os.path.abspath(src), final)
        return _Placed(op, "symlink")
    return _Placed(op, _copy_verified(src, final, embed if mode == "copy" else None))


def _rollback(placed: _Placed) -> None:
    """Undo a placement of a half-exported item; the source is still where it was."""
    op = placed.op
    if placed.how == "exists":
        return
    if placed.how == "rename":
        if not os.path.lexists(op.source):
            os.rename(op.dest, op.source)
        return
    os.unlink(op.dest)


def _unwritable(dest: Path) -> str:
    """Why nothing can be written into `dest` (read-only, immutable, no permission), or ''."""
    probe = temp_path(dest)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        return f"cannot write into the destination {dest}: {(exc.strerror or str(exc)).lower()}"
    os.close(fd)
    os.unlink(probe)
    return ""
