"""What a viewer shows of a photo: one rendering at every size, a fast resize, and whether the file is damaged."""

from __future__ import annotations

import collections
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import rawpy
import simplejpeg
from PIL import Image

from ranker import images
from ranker.images import ImageLoadError

#: a camera's embedded JPEG stands for the RAW at every zoom only when it is (nearly) full resolution;
#: a smaller one would have to be swapped for a LibRaw render at 100%, which looks different
EMBEDDED_FULL_FRACTION = 0.95
#: the DCT-domain scale may land this far below the requested size: the view scales the last few percent
DRAFT_SLACK = 0.85
#: full-resolution LibRaw renders kept, so a RAW's preview and its 100% view are the same pixels
#: (24 MP RGB is 72 MB; two cover the photo on screen and the one being prefetched)
RAW_RENDERS_KEPT = 2

_JPEG_SUFFIXES = frozenset({".jpg", ".jpeg"})


@dataclass(frozen=True)
class Rendition:
    image: Image.Image  # upright RGB, long side at most the requested size
    full_size: tuple[int, int]  # the size 100% shows: the rendition's own full resolution, upright
    damaged: str | None = None  # why the file decoded with errors (grey or smeared rows), else None


def render(path: str | os.PathLike[str], max_size: int | None = None, thumbnail: bool = False) -> Rendition:
    """The photo at long side `max_size` (None: full resolution). RAWs always come from one rendering
    (see EMBEDDED_FULL_FRACTION), except `thumbnail`s, for which any embedded preview is good enough;
    JPEGs are decoded at the nearest DCT scale and then resized cheaply."""
    p = Path(os.fsdecode(os.fspath(path)))
    if images.is_raw(p) and not thumbnail:
        return _render_raw(p, max_size)
    if p.suffix.lower() in _JPEG_SUFFIXES:
        rendition = _render_jpeg(p, max_size)
        if rendition is not None:
            return rendition
    image, meta = images.load_photo(p, max_size=max_size)
    return Rendition(image, (meta.width or image.width, meta.height or image.height))


# --- JPEG ------------------------------------------------------------------------------------


def _render_jpeg(path: Path, max_size: int | None) -> Rendition | None:
    """libjpeg-turbo through simplejpeg: strict decoding tells a damaged file from a sound one.
    None when simplejpeg cannot decode it (CMYK, arithmetic coding...): Pillow's path takes over."""
    meta = images.read_metadata(path)  # header only: orientation and size
    with images._open_regular_file(path) as f:
        data = f.read()
    try:
        header = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        return None
    stored_h, stored_w = header[0], header[1]
    min_w = min_h = 0
    target = images._target_size((stored_w, stored_h), max_size)
    if target:
        min_w, min_h = max(1, int(target[0] * DRAFT_SLACK)), max(1, int(target[1] * DRAFT_SLACK))
    damaged = None
    try:
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=min_w, min_height=min_h, strict=True)
    except ValueError as exc:
        try:
            pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=min_w, min_height=min_h, strict=False)
        except ValueError:
            return None
        damaged = str(exc)
    image = _cheap_fit(Image.fromarray(pixels), max_size)
    if meta.orientation in images._TRANSPOSE:
        image = image.transpose(images._TRANSPOSE[meta.orientation])
    return Rendition(image, (meta.width or image.width, meta.height or image.height), damaged)


def _cheap_fit(image: Image.Image, max_size: int | None) -> Image.Image:
    """After the DCT-domain reduction only a small step is left: a bilinear resize is enough (Lanczos
    costs 0.7 s on 24 MP), and a decode already within the draft slack is kept as it is."""
    if max_size is None or max(image.size) <= max_size:
        return image
    target = images._target_size(image.size, max_size)
    assert target is not None  # the long side exceeds max_size, so a downscale is needed
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


# --- RAW -------------------------------------------------------------------------------------

_renders: collections.OrderedDict[tuple[str, int, int], Image.Image] = collections.OrderedDict()
_renders_lock = threading.Lock()


def _render_raw(path: Path, max_size: int | None) -> Rendition:
    with images._open_regular_file(path) as f:
        data = f.read()
        stat = os.fstat(f.fileno())
    try:
        full = _embedded_full(data)
        if full is None:
            full = _libraw_full(path, data, (stat.st_size, stat.st_mtime_ns))
    except rawpy.LibRawError as exc:
        raise ImageLoadError(path, images._libraw_reason(exc)) from exc
    return Rendition(fit(full, max_size), full.size)


def _embedded_full(data: bytes) -> Image.Image | None:
    """The embedded JPEG, upright, when it covers the sensor; else None."""
    with rawpy.imread(io.BytesIO(data)) as raw:
        sensor = (raw.sizes.width, raw.sizes.height)
        orientation = images._LIBRAW_FLIP_TO_EXIF.get(raw.sizes.flip, 1)
        try:
            thumb = raw.extract_thumb()
        except rawpy.LibRawError:
            return None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            img = images._open_pillow(io.BytesIO(cast(bytes, thumb.data)))  # a JPEG thumb's data is its bytes
            img.load()
        elif thumb.format == rawpy.ThumbFormat.BITMAP:
            img = Image.fromarray(cast(np.ndarray, thumb.data))  # a BITMAP thumb's data is an RGB array
        else:
            return None
    except Exception:  # noqa: BLE001 - a bad preview is not a bad RAW: LibRaw renders it
        return None
    aspect, sensor_aspect = img.width / img.height, sensor[0] / sensor[1]
    if max(img.size) < EMBEDDED_FULL_FRACTION * max(sensor) or abs(aspect - sensor_aspect) > 0.05 * sensor_aspect:
        return None
    img = images._to_rgb(img)
    return img.transpose(images._TRANSPOSE[orientation]) if orientation in images._TRANSPOSE else img


def _libraw_full(path: Path, data: bytes, identity: tuple[int, int]) -> Image.Image:
    """One full-resolution LibRaw render per file version, kept for the next sizes asked of it."""
    key = (str(path), *identity)
    # One render at a time: the preview and the 100% view of a RAW are often asked for together, and
    # the second must wait for the first rather than render the same file again.
    with _renders_lock:
        if key in _renders:
            _renders.move_to_end(key)
            return _renders[key]
        with rawpy.imread(io.BytesIO(data)) as raw:
            rgb = raw.postprocess(use_camera_wb=True)  # postprocess applies the camera's orientation
        image = Image.fromarray(np.ascontiguousarray(rgb))
        _renders[key] = image
        while len(_renders) > RAW_RENDERS_KEPT:
            _renders.popitem(last=False)
        return image


def fit(image: Image.Image, max_size: int | None) -> Image.Image:
    """`image` with its long side at most `max_size`, resized cheaply (a rendition is already sharp)."""
    target = images._target_size(image.size, max_size)
    if target is None:
        return image
    # An integer box reduction first (cheap), then bilinear for the remainder.
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
