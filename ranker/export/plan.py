"""Planning an export: which files go where, refused before anything moves (collisions, dest in the source)."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ranker.errors import UsageError
from ranker.export import embed as embed_jpeg_tiff
from ranker.export.embed import EmbedError
from ranker.io import heif_xmp
from ranker.io.files import sha256_of
from ranker.xmp import (
    SIDECAR_STYLES,
    Decision,
    find_sidecars,
    sidecar_path,
)
from ranker.xmp.style import XmpStyle

MODES = ("copy", "move", "link")


COLLISION_POLICIES = ("suffix", "skip")


def _describe_decision(d: Decision) -> str:
    parts = [d.flag or "unflagged", f"{d.rating} star(s)"]
    if d.label:
        parts.append(d.label)
    return ", ".join(parts)


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
    target = dest.resolve()
    for folder in sorted({f.parent for item in items for f in item.files}):
        source = folder.resolve()
        if mode == "move" and (target == source or source in target.parents):
            where = "is" if target == source else "is inside"
            raise UsageError(
                f"{dest} {where} the folder the photos are in ({folder}): moving there would only "
                "rename the originals; choose a folder outside it"
            )
        if target == source:  # a copy or link beside its original is a second photo of the shoot, "-1" named
            raise UsageError(
                f"{dest} is the folder the photos are in: a {mode} there would put a renamed duplicate of "
                "each select into the shoot; choose another folder (a sub-folder such as Selects is fine)"
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
