"""Find a shoot's photos on disk: supported files, RAW+JPEG twins as one photo, content fingerprints."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ranker.io.images import is_raw, is_supported

#: Bytes hashed at each end of a file. Hashing 24 MP RAWs whole would cost more than decoding
#: their previews; head (EXIF, timestamps, thumbnail) + tail + size identify a photo in practice.
_FINGERPRINT_SPAN = 64 * 1024


@dataclass(frozen=True)
class PhotoFiles:
    """One photo: its files (RAW first when it has a JPEG twin) and the one to decode for analysis."""

    paths: tuple[Path, ...]

    @property
    def primary(self) -> Path:
        return self.paths[0]

    @property
    def decode_path(self) -> Path:
        """The camera's own JPEG when there is one: faster to decode and rendered as the photographer saw it."""
        for path in self.paths:
            if not is_raw(path):
                return path
        return self.paths[0]


def fingerprint(path: Path) -> str:
    """blake2b of size + first and last 64 KiB: stable across renames and moves, cheap on big RAWs.

    Raises OSError for anything but a regular file: a FIFO named y.jpg is opened without blocking
    (a plain open() waits forever for a writer) and refused."""
    digest = hashlib.blake2b(digest_size=16)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        size = info.st_size
        digest.update(str(size).encode())
        digest.update(fh.read(_FINGERPRINT_SPAN))
        if size > 2 * _FINGERPRINT_SPAN:
            fh.seek(-_FINGERPRINT_SPAN, os.SEEK_END)
            digest.update(fh.read(_FINGERPRINT_SPAN))
    return digest.hexdigest()


def _walk(root: Path, recursive: bool) -> list[Path]:
    if not recursive:
        # Anything but a folder: a FIFO or dangling link named *.jpg is listed and then reported.
        return sorted(p for p in root.iterdir() if not p.is_dir())
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # skip .thumbnails, .git, ...
        found.extend(Path(folder) / name for name in files)
    return sorted(found)


def discover(root: Path, recursive: bool = False) -> list[PhotoFiles]:
    """Supported photo files under `root`, twins merged, in path order. Hidden files are skipped."""
    # Absolute (not resolved: symlinked shoots keep the path the user gave) so the catalog
    # identifies files the same way whatever the working directory was.
    root = Path(root).absolute()
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    groups: dict[tuple[Path, str], list[Path]] = {}
    for path in _walk(root, recursive):
        if path.name.startswith(".") or not is_supported(path):
            continue
        groups.setdefault((path.parent, path.stem.lower()), []).append(path)
    photos = []
    for paths in groups.values():
        raws = [p for p in paths if is_raw(p)]
        others = [p for p in paths if not is_raw(p)]
        if len(raws) == 1 and len(others) <= 1:
            photos.append(PhotoFiles(tuple(raws + others)))
        else:  # not a simple twin (e.g. IMG_1.jpg and IMG_1.png): keep each file its own photo
            photos.extend(PhotoFiles((p,)) for p in paths)
    return sorted(photos, key=lambda p: p.primary)
