"""Decoding through Pillow (JPEG, PNG, TIFF, WebP, HEIF): an allow-list of decoders, reduced-size draft."""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, TiffImagePlugin

from ranker.io.decode_warnings import WARNINGS_LOCK, current_file
from ranker.io.finish_pixels import finish, oriented_size, target_size
from ranker.io.load_errors import Damaged, printable_path
from ranker.io.photo_metadata import EXIF_IFD, TAG_IDS, PhotoMetadata, exif_orientation, metadata_from_exif

# Only these Pillow decoders may run: a renamed EPS/PSD/etc. must not reach exotic plugins
# (EPS shells out to Ghostscript). The JPEG opener also yields multi-picture (MPO) phone files.
_PILLOW_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "HEIF")

#: The largest image decoded (pixels); see _pillow_formats.
MAX_PIXELS = 200_000_000


@functools.cache
def _pillow_formats() -> tuple[str, ...]:
    """Register the decoders once, on first use (pillow_heif loads libheif, which most runs never
    need), and return the allow-list entries this install can open. A concurrent first call may
    register HEIF twice, which is harmless."""
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIF photos then fail as "not a recognised image"
        pass
    Image.init()
    # Pillow's default (89 MP) refuses real 100 MP camera JPEGs (Fujifilm GFX100: 11648×8736). 200 MP
    # covers every camera sold; beyond it (and the bomb files) decoding is refused with a clear reason.
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)
    return tuple(name for name in _PILLOW_FORMATS if name in Image.OPEN)


def open_pillow(fp: BinaryIO) -> Image.Image:
    """Identify the image and parse its header, with decompression-bomb warnings as errors. Pillow's
    other header warnings ("Tag data larger than file") are re-issued with the file's name."""
    formats = _pillow_formats()
    with WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(fp, formats=formats)
    where = current_file()
    for warning in caught:
        text = f"{printable_path(where)}: {warning.message}" if where is not None else str(warning.message)
        warnings.warn(text, warning.category, stacklevel=2)
    return img


class BeyondPillow(Exception):
    """A TIFF Pillow opens but would decode wrongly: tifffile decodes it instead."""


def _pillow_misreads(img: Image.Image) -> bool:
    """TIFF layouts Pillow 13 opens and decodes wrongly (measured on files tifffile wrote): packed
    depths over 8 bits (big-endian 12-bit came out as a sawtooth), planar samples over 8 bits (a
    16-bit planar RGB came out striped), 32-bit and signed integers (mode I: unsigned values wrap
    negative, and either is scaled as if 16-bit)."""
    if not isinstance(img, TiffImagePlugin.TiffImageFile):
        return False
    tags = img.tag_v2
    bits = tags.get(258)
    bits = max(bits) if isinstance(bits, tuple) and bits else bits if isinstance(bits, int) else 8
    sample_format = tags.get(339)
    fmt = sample_format[0] if isinstance(sample_format, tuple) and sample_format else sample_format or 1
    if fmt == 3:  # IEEE float: Pillow reads 32-bit grey right and refuses the rest itself
        return False
    return (bits > 8 and bits not in (16, 32)) or (tags.get(284) == 2 and bits > 8) or bits == 32 or fmt == 2


def decode_pillow(fp: BinaryIO, max_size: int | None, want_pixels: bool) -> tuple[Image.Image | None, PhotoMetadata]:
    img = open_pillow(fp)
    if _pillow_misreads(img):
        raise BeyondPillow(f"{img.mode} TIFF")
    stored = _stored_size(img)
    # EXIF comes from the header, before any decoder rotates pixels and drops the tag. A PNG's
    # eXIf chunk may follow the pixel data, and Pillow decodes the image to reach it.
    header = _pillow_exif(img) if img.format != "PNG" or "exif" in img.info else None
    target = target_size(img.size, max_size) if want_pixels else None
    if target:
        # JPEG: DCT-domain downscale by 1/2..1/8; HEIF: an embedded thumbnail; others: no-op.
        img.draft("RGB", target)
    if want_pixels or header is None:
        img.load()
    if want_pixels and img.format == "JPEG":
        _check_grey_fill(img)
    fields = header if header is not None else _pillow_exif(img)
    orientation = exif_orientation(fields.get("Orientation"))
    # pillow_heif rotates at open and resets EXIF to 1; report what the file said.
    reported = img.info.get("original_orientation") or orientation
    meta = metadata_from_exif(fields.get, reported, oriented_size(stored, orientation))
    if not want_pixels:
        return None, meta
    # Pillow's TIFF plugin (recent versions) rotates on load and deletes the tag: apply what is left.
    pending = exif_orientation(_pillow_exif(img).get("Orientation"))
    return finish(img, target, pending), meta


#: libjpeg pads a scan whose data ends early (a header claiming more than the data holds, a broken
#: card write) with mid-grey rows and does not fail; this many bottom rows of exact grey mean that.
_GREY_FILL_ROWS = 0.02
#: the level of that padding
_GREY = 128


def _check_grey_fill(img: Image.Image) -> None:
    """Refuse a JPEG whose bottom rows are libjpeg's exact mid-grey padding: it would rank (and be
    auto-picked) as if it were whole."""
    width, height = img.size
    need = max(2, math.ceil(_GREY_FILL_ROWS * height))
    # Only the bottom rows decide: converting them alone spares a copy of the whole frame per photo
    # (Pillow's tobytes, which holds the GIL).
    if need > height or not (np.asarray(img.crop((0, height - need, width, height))) == _GREY).all():
        return
    pixels = np.asarray(img)
    rows = 0
    for row in pixels[::-1]:  # from the bottom up, to say how much is padding
        if not (row == _GREY).all():
            break
        rows += 1
    raise Damaged(f"damaged JPEG: its data ends early, the bottom {rows / height:.0%} is grey padding")


def _stored_size(img: Image.Image) -> tuple[int, int]:
    """The pixel grid as stored in the file (recent Pillow reports TIFF sizes already rotated)."""
    tags = getattr(img, "tag_v2", None) if img.format == "TIFF" else None
    width, height = (tags.get(256), tags.get(257)) if tags else (None, None)
    return (width, height) if isinstance(width, int) and isinstance(height, int) else img.size


def _pillow_exif(img: Image.Image) -> dict[str, Any]:
    try:
        with WARNINGS_LOCK, warnings.catch_warnings():
            # Pillow warns about odd EXIF; a photo with broken EXIF is still a photo.
            warnings.simplefilter("ignore")
            exif = img.getexif()
            sub = exif.get_ifd(EXIF_IFD)
            return {name: sub.get(tag, exif.get(tag)) for name, tag in TAG_IDS.items()}
    except Exception:  # noqa: BLE001 - corrupt EXIF degrades to "no metadata"
        return {}
