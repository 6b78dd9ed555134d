"""Listing a folder: every photo gets its catalog identity from the listing alone, before any byte is read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ranker.io.scan import PhotoFiles, discover
from ranker.store.catalog import Catalog


@dataclass(frozen=True)
class ListedPhoto:
    """A photo of the opened folder: decisions can be recorded on `photo_id` at once."""

    photo_id: int
    files: PhotoFiles
    #: (path, size, mtime_ns) per file at listing time; empty when a file could not be stat'ed
    states: tuple[tuple[Path, int, int], ...]
    error: str = ""  # why the files could not be stat'ed (vanished, permission denied)

    @property
    def path(self) -> Path:
        return self.files.primary

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.files.paths


@dataclass(frozen=True)
class ShootListing:
    root: Path
    recursive: bool
    photos: tuple[ListedPhoto, ...]

    def in_scope(self, path: Path) -> bool:
        """Whether `path` lies in the opened folder: a photo last seen there and now gone was moved inside it."""
        return in_scope(self.root, self.recursive, path)


def in_scope(root: Path, recursive: bool, path: Path) -> bool:
    root = Path(root).absolute()
    return Path(path).parent == root or (recursive and root in Path(path).parents)


def _states(photo: PhotoFiles) -> tuple[tuple[tuple[Path, int, int], ...], str]:
    rows = []
    for path in photo.paths:
        try:
            st = os.stat(path)
        except OSError as exc:
            return (), (exc.strerror or str(exc)).lower()
        rows.append((path, st.st_size, st.st_mtime_ns))
    return tuple(rows), ""


def list_shoot(root: Path | str, catalog: Catalog, recursive: bool = False) -> ShootListing:
    """Discover the folder's photos and give each its photo id (one transaction, no decoding, no hashing).

    Files recorded under the folder that are gone are forgotten first, so a renamed or moved photo
    is recognised by its size and mtime and keeps its id and decisions."""
    root = Path(root).absolute()
    photos = discover(root, recursive)
    found = {path for photo in photos for path in photo.paths}
    vanished = [p for p in catalog.files_under(root) if p not in found and in_scope(root, recursive, p)]
    if vanished:  # deleted or moved away: their photos keep decisions if they reappear
        catalog.forget_files(vanished)
    states = [_states(photo) for photo in photos]
    listed = [(photo, rows) for photo, (rows, _) in zip(photos, states) if rows]
    ids = iter(catalog.identify([rows for _, rows in listed], lambda p: in_scope(root, recursive, p)))
    result = []
    for photo, (rows, error) in zip(photos, states):
        result.append(ListedPhoto(next(ids), photo, rows) if rows else ListedPhoto(-1, photo, (), error))
    return ShootListing(root, recursive, tuple(result))
