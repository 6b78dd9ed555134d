"""Export selects (copy, move or link) with their sidecars, never overwriting or losing a file."""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import shutil
import struct
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ranker import embed as embed_jpeg_tiff
from ranker import heif_xmp
from ranker.embed import EmbedError
from ranker.errors import UsageError
from ranker.files import atomic_write_bytes, clean_temp_files, fsync_dir, sha256_of, temp_path
from ranker.progress import Cancelled, Progress, check_cancel
from ranker.xmp import (
    SIDECAR_STYLES,
    Decision,
    RankInfo,
    XmpError,
    embedded_decision,
    find_sidecars,
    merged_packet,
    read_embedded_xmp,
    sidecar_path,
    write_sidecar,
)
from ranker.xmp_style import XmpStyle

MODES = ("copy", "move", "link")
COLLISION_POLICIES = ("suffix", "skip")
_CHUNK = 1024 * 1024
# Errors meaning "this file system has no hard links" (FAT/exFAT cards, some network shares).
_NO_HARDLINK = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}


@dataclass(frozen=True)
class ExportItem:
    """One photo to export: its files (primary first, e.g. the RAW then its JPEG) and its verdict."""

    files: tuple[Path, ...]
    burst_id: int
    rank: int
    score: float
    decision: Decision
    model: str = ""


@dataclass(frozen=True)
class FileOp:
    """One file the export will place.

    kind: "photo" (a file of the photo), "sidecar" (an existing sidecar travelling with it) or
    "xmp" (write/merge the decision into the sidecar at `dest`; `source` is the exported photo).
    status: "new", "renamed" (numbered suffix), "exists" (an identical copy is already there)
    or "skip" (with `reason`).
    """

    source: Path
    dest: Path
    kind: str
    status: str = "new"
    item: int = -1
    reason: str = ""


@dataclass
class ExportPlan:
    ops: list[FileOp]
    mode: str
    dest: Path
    items: tuple[ExportItem, ...] = ()
    on_collision: str = "suffix"
    write_sidecars: bool = True
    sidecar_style: str = "adobe"
    xmp_style: XmpStyle = XmpStyle()
    #: JPEG copies carry the decision in their own XMP too (Lightroom reads no sidecar for a JPEG)
    embed_xmp: bool = True

    def describe(self) -> str:
        """What the export would do, for a dry run; nothing is touched."""
        n_photos = sum(1 for op in self.ops if op.kind == "photo" and op.status != "skip")
        items = {op.item for op in self.ops if op.status != "skip"}
        where = str(self.dest) + ("" if self.dest.exists() else " (will be created)")
        lines = [f"Export plan: {self.mode} {len(items)} photo(s), {n_photos} photo file(s), into {where}"]
        for op in self.ops:
            if op.kind == "xmp" and op.status == "exists":
                lines.append(f"  kept     {op.dest.name}  (already exported; {op.reason})")
                continue
            if op.kind == "xmp":
                item = self.items[op.item] if 0 <= op.item < len(self.items) else None
                what = _describe_decision(item.decision) if item else ""
                lines.append(f"  xmp      {op.dest.name}  <- decision for {op.source.name}: {what}")
                continue
            note = f"  ({op.reason})" if op.reason else ""
            lines.append(f"  {op.status:<8} {op.dest.name}  <- {op.source}{note}")
        skipped = sum(1 for op in self.ops if op.status == "skip")
        if skipped:
            lines.append(f"{skipped} file(s) will be skipped.")
        lines.append("Dry run: nothing has been written.")
        return "\n".join(lines)


@dataclass(frozen=True)
class ReportEntry:
    source: Path
    dest: Path | None
    kind: str
    detail: str = ""  # the reason for a skip or failure; "hardlink"/"symlink" for links


@dataclass
class ExportReport:
    mode: str
    dest: Path
    copied: list[ReportEntry] = field(default_factory=list)
    moved: list[ReportEntry] = field(default_factory=list)
    linked: list[ReportEntry] = field(default_factory=list)
    skipped: list[ReportEntry] = field(default_factory=list)
    failed: list[ReportEntry] = field(default_factory=list)
    sidecars_written: list[ReportEntry] = field(default_factory=list)
    cleaned: list[Path] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        head = (
            f"{self.mode} into {self.dest}: {len(self.copied)} copied, {len(self.moved)} moved, "
            f"{len(self.linked)} linked, {len(self.skipped)} skipped, {len(self.failed)} failed, "
            f"{len(self.sidecars_written)} sidecar(s) written"
        )
        lines = [head + (" (cancelled)" if self.cancelled else "")]
        links: dict[str, int] = {}
        for e in self.linked:
            links[e.detail] = links.get(e.detail, 0) + 1
        if links:
            lines.append("  links: " + ", ".join(f"{n} {kind}" for kind, n in sorted(links.items())))
        if self.cleaned:
            lines.append(f"  removed {len(self.cleaned)} temp file(s) left by an interrupted export")
        for e in self.copied:
            if e.detail.startswith("copy ("):  # a copy that could not carry its XMP inside
                lines.append(f"  note    {(e.dest or e.source).name}: {e.detail}")
        for e in self.failed:
            lines.append(f"  FAILED  {e.source} -> {e.dest}: {e.detail}")
        for e in self.skipped:
            lines.append(f"  skipped {e.source}: {e.detail}")
        return "\n".join(lines)


def _describe_decision(d: Decision) -> str:
    parts = [d.flag or "unflagged", f"{d.rating} star(s)"]
    if d.label:
        parts.append(d.label)
    return ", ".join(parts)


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


# ----------------------------------------------------------------------------- planning


def _suffixed(name: str, n: int) -> str:
    if n == 0:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name}-{n}"
    return f"{stem}-{n}.{ext}"


def _same_entry(a: Path, b: Path) -> bool:
    """True when `a` and `b` name the very same directory entry (not merely a hard link)."""
    try:
        if not os.path.samefile(a.parent, b.parent):
            return False
        return a.name == b.name or (a.name.casefold() == b.name.casefold() and os.path.samefile(a, b))
    except OSError:
        return False


def can_embed(path: Path) -> bool:
    """Whether a copy named `path` can carry XMP inside: JPEG, TIFF, DNG (embed) and HEIF (heif_xmp)."""
    return embed_jpeg_tiff.can_embed(path) or Path(path).suffix.lower() in heif_xmp.HEIF_SUFFIXES


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """The file's bytes carrying `packet` as its XMP, with no image byte re-encoded; EmbedError if it cannot."""
    if data[4:8] != b"ftyp":
        return embed_jpeg_tiff.with_xmp(data, packet)
    try:
        return heif_xmp.with_xmp(data, packet)
    except (heif_xmp.HeifError, struct.error, IndexError) as exc:
        raise EmbedError(f"HEIF: {exc}") from None


def same_image(original: bytes, copy: bytes) -> bool:
    if original[4:8] == b"ftyp":
        return heif_xmp.same_image(original, copy)
    return embed_jpeg_tiff.same_image(original, copy)


def _identical(a: Path, b: Path) -> bool:
    """`b` is a separate, complete copy of `a` (so deleting `a` loses nothing); a JPEG copy we gave
    its own XMP counts when everything but that XMP segment is the same."""
    try:
        if os.path.islink(b) or _same_entry(a, b):
            return False
        if os.path.getsize(a) == os.path.getsize(b) and sha256_of(a) == sha256_of(b):
            return True
        return can_embed(b) and same_image(a.read_bytes(), b.read_bytes())
    except OSError:
        return False


def _targets(
    item: ExportItem, sidecars: list[tuple[Path, Path, str]], n: int, dest: Path, write_sidecars: bool, style: str
) -> tuple[list[Path], list[tuple[Path, Path]], list[Path]]:
    """Destination paths of an item's photo files, travelling sidecars and decision sidecars."""
    photo_dest = [dest / _suffixed(f.name, n) for f in item.files]
    by_source = dict(zip(item.files, photo_dest))
    side = []
    for src, owner, src_style in sidecars:
        owner_dest = by_source[owner]
        if src_style.startswith("_"):  # a darktable duplicate's own sidecar: IMG_01.CR2.xmp
            base = owner_dest.with_name(f"{owner_dest.stem}{src_style}{owner_dest.suffix}.xmp")
        else:
            base = sidecar_path(owner_dest, src_style)
        side.append((src, base.with_suffix(src.suffix)))
    xmp = []
    if write_sidecars:
        seen = {d.name.casefold() for _, d in side}
        # Duplicates travel untouched: each is its own version in darktable, with its own rating.
        xmp = [d for (_, d), (_, _, st) in zip(side, sidecars) if not st.startswith("_")]
        for p in photo_dest:
            target = sidecar_path(p, style)
            if target.name.casefold() not in seen:
                seen.add(target.name.casefold())
                xmp.append(target)
    return photo_dest, side, xmp


def _source_sidecars(files: tuple[Path, ...]) -> list[tuple[Path, Path, str]]:
    """(sidecar, owning file, style) for every existing sidecar of the files, each once."""
    out, seen = [], set()
    for f in files:
        for sc in find_sidecars(f):
            key = os.path.normcase(os.path.abspath(sc)).casefold()
            if key in seen:
                continue
            seen.add(key)
            style = "darktable" if sc.name.casefold() == (f.name + ".xmp").casefold() else "adobe"
            out.append((sc, f, style))
        for sc, number in _duplicate_sidecars(f):
            out.append((sc, f, number))
    return out


def _duplicate_sidecars(photo: Path) -> list[tuple[Path, str]]:
    """darktable's duplicates of `photo`: (IMG_1_01.CR2.xmp, "_01"), in number order."""
    prefix, suffix = f"{photo.stem}_".casefold(), f"{photo.suffix}.xmp".casefold()
    found: list[tuple[Path, str]] = []
    try:
        entries = os.listdir(photo.parent)
    except OSError:
        return found
    for name in entries:
        folded = name.casefold()
        if folded.startswith(prefix) and folded.endswith(suffix):
            number = name[len(prefix) : len(name) - len(suffix)]
            if number.isdigit() and (photo.parent / name).is_file():
                found.append((photo.parent / name, f"_{number}"))
    return sorted(found, key=lambda t: int(t[1][1:]))


def plan_export(
    items: Iterable[ExportItem],
    dest: Path,
    *,
    mode: str = "copy",
    on_collision: str = "suffix",
    write_sidecars: bool = True,
    sidecar_style: str | None = None,
    xmp_style: XmpStyle | None = None,
    embed_xmp: bool = True,
) -> ExportPlan:
    """Decide where every file goes; touches nothing, so `plan.describe()` is a dry run.

    `xmp_style` is how decisions are spelled (the library's preference); `sidecar_style` overrides its
    sidecar naming. JPEG copies (mode copy) also carry the decision embedded when `embed_xmp`."""
    xmp_style = xmp_style or XmpStyle()
    sidecar_style = sidecar_style or xmp_style.sidecar
    if mode not in MODES:
        raise UsageError(f"mode must be one of {MODES}, not {mode!r}")
    if on_collision not in COLLISION_POLICIES:
        raise UsageError(f"on_collision must be one of {COLLISION_POLICIES}, not {on_collision!r}")
    if sidecar_style not in SIDECAR_STYLES:
        raise UsageError(f"sidecar_style must be one of {SIDECAR_STYLES}, not {sidecar_style!r}")
    items = tuple(
        ExportItem(tuple(Path(f) for f in it.files), it.burst_id, it.rank, it.score, it.decision, it.model)
        for it in items
    )
    dest = Path(dest)
    _check_destination(items, dest, mode)
    claimed: set[str] = set()
    ops: list[FileOp] = []
    for index, item in enumerate(items):
        files = item.files
        if not files:
            raise ValueError(f"export item {index} has no files")
        if len({f.name.casefold() for f in files}) != len(files):
            raise ValueError(f"export item {index} has two files with the same name: {files}")
        missing = [f for f in files if not f.is_file()]
        sidecars = _source_sidecars(files)
        if missing:
            photo_dest, side, xmp = _targets(item, sidecars, 0, dest, write_sidecars, sidecar_style)
            reason = f"source not found: {missing[0]}"
            ops += [FileOp(s, d, "photo", "skip", index, reason) for s, d in zip(files, photo_dest)]
            ops += [FileOp(s, d, "sidecar", "skip", index, reason) for s, d in side]
            continue
        n = 0
        while True:
            photo_dest, side, xmp = _targets(item, sidecars, n, dest, write_sidecars, sidecar_style)
            verdict = _check_targets(files, photo_dest, side, xmp, claimed)
            if verdict is not None or on_collision == "skip" or n > 9999:
                break
            n += 1
        if verdict is None:
            taken = next(
                (
                    p
                    for p in [*photo_dest, *(d for _, d in side), *xmp]
                    if p.name.casefold() in claimed or os.path.lexists(p)
                ),
                photo_dest[0],
            )
            reason = f"{taken.name} already exists at the destination"
            ops += [FileOp(s, d, "photo", "skip", index, reason) for s, d in zip(files, photo_dest)]
            ops += [FileOp(s, d, "sidecar", "skip", index, reason) for s, d in side]
            continue
        photo_status, side_status = verdict
        fresh = "renamed" if n else "new"
        for s, d, st in zip(files, photo_dest, photo_status):
            ops.append(FileOp(s, d, "photo", st or fresh, index, "identical file already there" if st else ""))
        for (s, d), st in zip(side, side_status):
            ops.append(FileOp(s, d, "sidecar", st or fresh, index, "kept the sidecar already there" if st else ""))
        resumed = "exists" in photo_status
        for d in xmp:
            # Already exported, and its sidecar there may have been edited (or locked) since: never rewrite it.
            kept = resumed and os.path.lexists(d)
            ops.append(
                FileOp(
                    photo_dest[0],
                    d,
                    "xmp",
                    "exists" if kept else "new",
                    index,
                    "the sidecar at the destination is left as it is" if kept else "",
                )
            )
        claimed.update(p.name.casefold() for p in [*photo_dest, *(d for _, d in side), *xmp])
    return ExportPlan(
        ops,
        mode,
        dest,
        items,
        on_collision,
        write_sidecars,
        sidecar_style,
        XmpStyle(sidecar_style, xmp_style.pick_as, xmp_style.pick_label, xmp_style.pick_min_rating),
        embed_xmp and write_sidecars,
    )


def _check_destination(items: tuple[ExportItem, ...], dest: Path, mode: str) -> None:
    """Refuse, before anything is touched, a destination that cannot be right."""
    if os.path.lexists(dest) and not dest.is_dir():
        raise UsageError(f"{dest}: the destination is not a folder (a file of that name exists)")
    if mode != "move":
        return
    target = dest.resolve()
    for folder in sorted({f.parent for item in items for f in item.files}):
        source = folder.resolve()
        if target == source or source in target.parents:
            where = "is" if target == source else "is inside"
            raise UsageError(
                f"{dest} {where} the folder the photos are in ({folder}): moving there would only "
                "rename the originals; choose a folder outside it"
            )


def _check_targets(
    files: tuple[Path, ...],
    photo_dest: list[Path],
    side: list[tuple[Path, Path]],
    xmp: list[Path],
    claimed: set[str],
) -> tuple[list[str | None], list[str | None]] | None:
    """Per-file statuses when this set of names is usable, else None.

    A name is usable when it is free, or — to resume an interrupted export — when it already
    holds an identical copy of the photo file (then the item's sidecars there are ours too).
    """
    if any(p.name.casefold() in claimed for p in [*photo_dest, *(d for _, d in side), *xmp]):
        return None
    photo_status: list[str | None] = []  # None: the name is free
    for src, d in zip(files, photo_dest):
        if not os.path.lexists(d):
            photo_status.append(None)
        elif _identical(src, d):
            photo_status.append("exists")
        else:
            return None
    resumed = "exists" in photo_status
    side_status: list[str | None] = []
    for _src, d in side:
        if not os.path.lexists(d):
            side_status.append(None)
        elif resumed and os.path.isfile(d) and not os.path.islink(d):
            side_status.append("exists")
        else:
            return None
    for d in xmp:
        if os.path.lexists(d) and not (resumed and os.path.isfile(d) and not os.path.islink(d)):
            return None
    return photo_status, side_status


# ----------------------------------------------------------------------------- placing files


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


def run_export(plan: ExportPlan, *, cancel: threading.Event | None = None) -> Generator[Progress, None, ExportReport]:
    """Carry out `plan`, yielding Progress per file; returns (and finally yields) the report.

    Each photo is all-or-nothing: its files are placed and verified first; only then, for a
    move, are the sources deleted; a failure rolls the photo's new files back and the export
    goes on with the next photo. Cancelling stops between photos and still returns the report.
    """
    report = ExportReport(plan.mode, plan.dest)
    total = len(plan.ops)
    done = 0
    yield Progress("export", 0, total, f"exporting into {plan.dest}")
    try:
        plan.dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for op in plan.ops:
            report.failed.append(ReportEntry(op.source, op.dest, op.kind, _reason(exc)))
        yield Progress("export", total, total, report.summary(), item=report)
        return report
    report.cleaned = clean_temp_files(plan.dest)
    unwritable = _unwritable(plan.dest)
    if unwritable:
        for op in plan.ops:
            report.failed.append(ReportEntry(op.source, op.dest, op.kind, unwritable))
        yield Progress("export", total, total, report.summary(), item=report)
        return report

    groups: dict[int, list[FileOp]] = {}
    for op in plan.ops:
        groups.setdefault(op.item, []).append(op)
    ordered = list(groups.items())
    for position, (index, ops) in enumerate(ordered):
        try:
            check_cancel(cancel)
        except Cancelled:
            report.cancelled = True
            for _, rest in ordered[position:]:
                report.skipped += [
                    ReportEntry(op.source, op.dest, op.kind, "cancelled") for op in rest if op.kind != "xmp"
                ]
            break
        item = plan.items[index] if 0 <= index < len(plan.items) else None
        for step in _export_item(plan, item, ops, report):
            done += 1
            yield Progress("export", min(done, total), total, step.dest.name if step.dest else "", item=step)
    yield Progress("export", total, total, report.summary(), item=report)
    return report


def _embed_for(plan: ExportPlan, item: ExportItem | None, op: FileOp) -> tuple[bytes, Decision] | None:
    """The XMP packet a JPEG copy should carry: the original's own packet with the decision merged in."""
    if item is None or not plan.embed_xmp or plan.mode != "copy" or op.kind != "photo" or not can_embed(op.dest):
        return None
    rank = RankInfo(item.burst_id, item.rank, float(item.score), item.model)
    try:
        packet = merged_packet(read_embedded_xmp(op.source), item.decision, rank, plan.xmp_style, op.source)
    except (XmpError, OSError):
        return None  # an embedded packet we cannot parse is never rewritten: a plain copy goes out
    return packet, item.decision


def _refresh_embedded(plan: ExportPlan, item: ExportItem, op: FileOp) -> None:
    """A copy left by an earlier export already carries XMP: bring its decision up to date, verified."""
    embed = _embed_for(plan, item, op)
    if embed is None or embedded_decision(op.dest) == item.decision:
        return
    try:
        packet = merged_packet(
            read_embedded_xmp(op.dest),
            item.decision,
            RankInfo(item.burst_id, item.rank, float(item.score), item.model),
            plan.xmp_style,
            op.dest,
        )
        new = _embedded_copy(op.dest, op.dest, packet, item.decision)
    except (XmpError, EmbedError, OSError, _Failure):
        return
    os.replace(new, op.dest)
    fsync_dir(op.dest.parent)


def _export_item(
    plan: ExportPlan, item: ExportItem | None, ops: list[FileOp], report: ExportReport
) -> Generator[ReportEntry, None, None]:
    files = [op for op in ops if op.kind != "xmp"]
    placed: list[_Placed] = []
    failure: tuple[FileOp, str] | None = None
    for op in files:
        if op.status == "skip":
            entry = ReportEntry(op.source, op.dest, op.kind, op.reason)
            report.skipped.append(entry)
            yield entry
            continue
        if failure is not None:
            break
        try:
            placed.append(_place(op, plan.mode, _embed_for(plan, item, op)))
        except Exception as exc:  # noqa: BLE001 - every per-file failure is reported, the export goes on
            failure = (op, _reason(exc))
    if failure is not None:
        bad, why = failure
        for p in reversed(placed):
            try:
                _rollback(p)
            except OSError as exc:
                report.failed.append(
                    ReportEntry(p.op.source, p.op.dest, p.op.kind, f"could not undo after a failure: {_reason(exc)}")
                )
        for op in files:
            if op.status == "skip":
                continue
            if op is bad:
                entry = ReportEntry(op.source, op.dest, op.kind, why)
                report.failed.append(entry)
            else:
                entry = ReportEntry(op.source, op.dest, op.kind, f"not exported: {bad.source.name} failed ({why})")
                report.skipped.append(entry)
            yield entry
        return

    for p in placed:
        op = p.op
        if plan.mode == "move" and p.how == "exists" and op.kind == "sidecar":
            # Ours from an interrupted run, maybe merged since: the source copy may hold newer edits.
            entry = ReportEntry(
                op.source, op.dest, op.kind, "kept at the source: a sidecar is already at the destination"
            )
            report.skipped.append(entry)
            yield entry
            continue
        if plan.mode == "move" and p.how != "rename":
            # Only now, with every file of the photo verified at the destination, drop the sources.
            try:
                os.unlink(op.source)
            except FileNotFoundError:
                pass
            except OSError as exc:
                entry = ReportEntry(
                    op.source, op.dest, op.kind, f"copied, but the source was not removed: {_reason(exc)}"
                )
                report.failed.append(entry)
                yield entry
                continue
        if plan.mode == "move":
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.moved.append(entry)
        elif p.how in ("hardlink", "symlink"):
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.linked.append(entry)
        elif p.how == "exists":
            entry = ReportEntry(op.source, op.dest, op.kind, "already at the destination")
            if op.kind == "photo" and item is not None and plan.embed_xmp and plan.mode == "copy":
                _refresh_embedded(plan, item, op)
            report.skipped.append(entry)
        else:
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.copied.append(entry)
        yield entry

    if item is None:
        return
    for op in (o for o in ops if o.kind == "xmp"):
        if op.status == "exists":
            entry = ReportEntry(op.source, op.dest, "xmp", "already exported: the sidecar there is left as it is")
            report.skipped.append(entry)
            yield entry
            continue
        rank = RankInfo(item.burst_id, item.rank, float(item.score), item.model)
        try:
            write_sidecar(op.source, item.decision, rank, style=plan.xmp_style, target=op.dest)
            entry = ReportEntry(op.source, op.dest, "xmp")
            report.sidecars_written.append(entry)
        except (XmpError, OSError) as exc:
            entry = ReportEntry(op.source, op.dest, "xmp", _reason(exc))
            report.failed.append(entry)
        yield entry


# ----------------------------------------------------------------------------- report file

_REPORT_FIELDS = ("path", "burst", "rank", "score", "flag", "rating", "label")


def write_report(items: Iterable[ExportItem], path: Path) -> Path:
    """Write one row per photo to `path` (.csv or .json): path, burst, rank, score, flag, rating, label."""
    path = Path(path)
    rows = [
        {
            "path": str(item.files[0]),
            "burst": item.burst_id,
            "rank": item.rank,
            "score": float(item.score),
            "flag": item.decision.flag,
            "rating": item.decision.rating,
            "label": item.decision.label,
        }
        for item in items
    ]
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.dumps(rows, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    elif suffix == ".csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=_REPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        data = buf.getvalue().encode("utf-8")
    else:
        raise UsageError(f"report must end in .csv or .json, not {path.name!r}")
    try:
        like = os.stat(path)
    except OSError:
        like = None
    atomic_write_bytes(path, data, like=like)
    return path
