"""Decoding camera RAW through LibRaw (rawpy): the embedded preview when it is big enough, else a demosaic."""

from __future__ import annotations

import dataclasses
import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np
import rawpy
from PIL import Image

from ranker.io.decode_warnings import WARNINGS_LOCK
from ranker.io.finish_pixels import finish, oriented_size, target_size
from ranker.io.libraw_stderr import UNKNOWN_FILE, LibRawWarning, libraw_messages
from ranker.io.load_errors import Damaged, printable_path
from ranker.io.photo_metadata import RAW_EXIF_SPAN, PhotoMetadata, metadata_from_exif, tiff_exif_fields
from ranker.io.pillow_decode import open_pillow
from ranker.io.tiff_exif import raw_damage

# LibRaw's `flip` (dcraw numbering) -> EXIF orientation; dcraw maps EXIF v to "50132467"[v & 7].
LIBRAW_FLIP_TO_EXIF = {0: 1, 1: 2, 3: 3, 2: 4, 4: 5, 6: 6, 7: 7, 5: 8}


def libraw_reason(exc: rawpy.LibRawError) -> str:
    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        return "not a RAW file this decoder supports"
    if isinstance(exc, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
        return f"corrupt or truncated RAW data ({exc})"
    return f"cannot decode RAW file ({type(exc).__name__}: {exc})"


def _libraw_source(f: BinaryIO, path: Path) -> str | BinaryIO:
    """What LibRaw opens: a name, so it reads only the parts it needs (a 3 GB sparse CR2 is never read
    whole into memory). The real name when it is UTF-8 (LibRaw's own warnings print it), else
    /proc/self/fd/N: the very file we checked, under a name any encoding can pass."""
    try:
        str(path).encode("utf-8")
        return str(path)
    except UnicodeEncodeError:
        pass
    by_fd = f"/proc/self/fd/{f.fileno()}"
    if os.path.exists(by_fd):
        return by_fd
    f.seek(0)
    return io.BytesIO(f.read())


def _warn_libraw(messages: list[tuple[Path, str]]) -> None:
    """LibRaw's messages (printed from C, caught by ranker.io.libraw_stderr) as warnings naming the file;
    under the warnings lock, so a Pillow catcher in another thread cannot take them as its own."""
    if not messages:
        return
    with WARNINGS_LOCK:
        for real, text in messages:
            warnings.warn(f"{printable_path(real)}: LibRaw: {text}", LibRawWarning, stacklevel=2)


def decode_raw(
    f: BinaryIO, path: Path, max_size: int | None, want_pixels: bool
) -> tuple[Image.Image | None, PhotoMetadata]:
    head = f.read(RAW_EXIF_SPAN)
    get = tiff_exif_fields(head)
    damage = raw_damage(head, os.fstat(f.fileno()).st_size)
    source = _libraw_source(f, path)
    libraw_name = source if isinstance(source, str) else UNKNOWN_FILE
    with libraw_messages(libraw_name, path, _warn_libraw), rawpy.imread(source) as raw:
        # LibRaw's flip is what postprocess applies, so the preview path must use the same one.
        orientation = LIBRAW_FLIP_TO_EXIF.get(raw.sizes.flip, 1)
        sensor = (raw.sizes.width, raw.sizes.height)
        meta = metadata_from_exif(get, orientation, oriented_size(sensor, orientation))
        if not want_pixels:
            return None, dataclasses.replace(meta, damage=f"RAW data damaged ({damage})" if damage else "")
        if max_size is not None:
            preview = _raw_preview(raw, sensor, max_size)
            if preview is not None:
                if damage:
                    meta = dataclasses.replace(meta, damage=f"RAW data damaged ({damage}), preview only")
                return finish(preview, target_size(preview.size, max_size), orientation), meta
        if damage:  # no preview to fall back on: LibRaw would demosaic garbage or fail
            raise Damaged(f"RAW data damaged ({damage})")
        # Half-size demosaic is ~4x faster and plenty when it still covers max_size.
        half = max_size is not None and max(sensor) // 2 >= max_size
        rgb = raw.postprocess(half_size=half, use_camera_wb=True)
    img = Image.fromarray(rgb)
    return finish(img, target_size(img.size, max_size), 1), meta  # postprocess already flipped


def _raw_preview(raw: rawpy.RawPy, sensor: tuple[int, int], max_size: int) -> Image.Image | None:
    """The camera's embedded preview if it covers max_size with the sensor's aspect, else None."""
    try:
        thumb = raw.extract_thumb()
        if thumb.format == rawpy.ThumbFormat.JPEG:
            img = open_pillow(io.BytesIO(cast(bytes, thumb.data)))  # a JPEG thumb's data is its bytes
        elif thumb.format == rawpy.ThumbFormat.BITMAP:
            img = Image.fromarray(cast(np.ndarray, thumb.data))  # a BITMAP thumb's data is an RGB array
        else:
            return None
        # A letterboxed, cropped or pre-rotated preview would not match the RAW; demosaic instead.
        aspect, sensor_aspect = img.width / img.height, sensor[0] / sensor[1]
        if max(img.size) < max_size or abs(aspect - sensor_aspect) > 0.05 * sensor_aspect:
            return None
        target = target_size(img.size, max_size)
        if target:
            img.draft("RGB", target)
        img.load()
        return img
    except Exception:  # noqa: BLE001 - a bad preview is not a bad RAW: fall back to demosaicing
        return None
