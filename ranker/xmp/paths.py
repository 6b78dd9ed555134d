"""Where a photo's XMP sidecars are: IMG.xmp (Adobe) or IMG.CR2.xmp (darktable, digiKam), and darktable's duplicates."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ranker.errors import UsageError
from ranker.xmp.style import (
    SIDECAR_STYLES,
)


def sidecar_path(photo: Path, style: str = "adobe") -> Path:
    """`IMG_1.xmp` (Adobe, shared by a RAW+JPEG pair) or `IMG_1.CR2.xmp` (darktable, digiKam)."""
    photo = Path(photo)
    if style == "adobe":
        return photo.with_suffix(".xmp")
    if style in ("darktable", "digikam"):
        return photo.with_name(photo.name + ".xmp")
    raise UsageError(f"sidecar style must be one of {SIDECAR_STYLES}, not {style!r}")


def _sidecar_candidates(photo: Path) -> list[Path]:
    # The file-specific name first: an Adobe-style sidecar may belong to the other half of a pair.
    photo = Path(photo)
    out = []
    for style in ("darktable", "adobe"):
        base = sidecar_path(photo, style)
        out += [base, base.with_suffix(".XMP")]
    return out


def find_sidecars(photo: Path) -> list[Path]:
    """Every existing sidecar of `photo`, either style, .xmp or .XMP, most specific first."""
    seen: set[tuple[int, int]] = set()
    found = []
    for cand in _sidecar_candidates(photo):
        try:
            st = os.stat(cand)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
            continue  # on case-insensitive file systems .xmp and .XMP are the same file
        seen.add((st.st_dev, st.st_ino))
        found.append(cand)
    return found


def find_sidecar(photo: Path) -> Path | None:
    """The sidecar a reader should use for `photo`, or None when it has none."""
    found = find_sidecars(photo)
    return found[0] if found else None
