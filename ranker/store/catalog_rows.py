"""The catalog's rows as typed records: what ranker.store.catalog returns, so no caller reads a tuple by position."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ranker.bursts import BurstKind


class CatalogError(RuntimeError):
    """A catalog problem the user must see and can act on (locked, read-only, disk full, corrupt)."""


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    fingerprint: str | None  # None until the content was analysed (the photo was only listed)
    paths: tuple[Path, ...]  # primary first (RAW before its JPEG twin)
    capture_ts: float  # seconds since epoch; file mtime when EXIF has no time
    time_source: str  # "exif" | "file"
    metadata: dict[str, Any]  # PhotoMetadata.as_dict()
    signals: dict[str, float]
    damaged: bool = False  # the stored analysis did not parse: recompute it
    sidecars_read: bool = True

    @property
    def path(self) -> Path:
        return self.paths[0]


class BurstRow(NamedTuple):
    """One stored burst of a shoot, its photos in rank order."""

    number: int
    kind: BurstKind
    photo_ids: list[int]


class Choice(NamedTuple):
    """One pairwise choice: the user (or a file of choices) said `winner` is better than `loser`."""

    id: int
    winner: int
    loser: int
    source: str  # "compare", "file", ...
    created: str  # ISO time


class XmpState(NamedTuple):
    """A sidecar's (or embedded XMP's) size, mtime and digest when it was last read, to see outside changes."""

    photo_id: int
    size: int
    mtime_ns: int
    sha256: str
    seen: str  # ISO time of that read


class DecisionTime(NamedTuple):
    """Who made a photo's decision (user, sidecar, auto...) and when (ISO time)."""

    source: str
    updated: str
