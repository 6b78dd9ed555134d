"""What a viewer shows of a photo: one rendering at every size, a fast resize, and whether the file is damaged."""

from __future__ import annotations

import collections
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import rawpy
import simplejpeg
from PIL import Image

from ranker.io import images
from ranker.io.finish_pixels import TRANSPOSE, target_size, to_rgb
from ranker.io.load_errors import ImageLoadError
from ranker.io.photo_metadata import PhotoMetadata
from ranker.io.pillow_decode import open_pillow
from ranker.io.raw_decode import LIBRAW_FLIP_TO_EXIF, libraw_reason

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


def _open_jpeg(path: Path, max_size: int | None) -> tuple[PhotoMetadata, bytes, tuple[int, int]] | None:
    """The file's metadata (header only: orientation and size), its bytes and the DCT-scaled size to
    decode at; None when libjpeg-turbo cannot read its header (Pillow's path takes over)."""
    meta = images.read_metadata(path)
    with images.open_regular_file(path) as f:
        data = f.read()
    try:
        header = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        return None
    return meta, data, _dct_size((header[1], header[0]), max_size)


def _render_jpeg(path: Path, max_size: int | None) -> Rendition | None:
    """libjpeg-turbo through simplejpeg: strict decoding tells a damaged file from a sound one.
    None when simplejpeg cannot decode it (CMYK, arithmetic coding...): Pillow's path takes over."""
    opened = _open_jpeg(path, max_size)
    if opened is None:
        return None
    meta, data, (width, height) = opened
    decoded = _decode_jpeg(data, colorspace="RGB", min_width=width, min_height=height)
    if decoded is None:
        return None
    pixels, damaged = decoded
    image = _cheap_fit(Image.fromarray(pixels), max_size)
    if meta.orientation in TRANSPOSE:
        image = image.transpose(TRANSPOSE[meta.orientation])
    return Rendition(image, (meta.width or image.width, meta.height or image.height), damaged)


def _dct_size(stored: tuple[int, int], max_size: int | None) -> tuple[int, int]:
    """The decoded size at the smallest of libjpeg-turbo's 1/8, 1/4, 1/2 and full scales that stays within
    DRAFT_SLACK of the target. Its other scales take a slow path: 3/4 of 24 MP decodes slower than all
    of it (223 vs 177 ms measured, 5/8 175 ms, 1/2 87 ms), so a 12 MP photo for a 3072-px preview is
    decoded whole rather than at 3/4."""
    target = target_size(stored, max_size)
    if target is not None:
        for factor in (8, 4, 2):
            size = (-(-stored[0] // factor), -(-stored[1] // factor))  # libjpeg-turbo rounds up
            if size[0] >= target[0] * DRAFT_SLACK and size[1] >= target[1] * DRAFT_SLACK:
                return size
    return stored


def _decode_jpeg(data: bytes, **options: Any) -> tuple[np.ndarray, str | None] | None:
    """Pixels and why the file is damaged (None when sound), or None when libjpeg-turbo cannot decode it.
    Strict first: a recoverable error (missing data, a bad Huffman code) is the damage to report."""
    try:
        return simplejpeg.decode_jpeg(data, strict=True, **options), None
    except ValueError as exc:
        try:
            return simplejpeg.decode_jpeg(data, strict=False, **options), str(exc)
        except ValueError:
            return None


def _cheap_fit(image: Image.Image, max_size: int | None) -> Image.Image:
    """After the DCT-domain reduction only a small step is left: a bilinear resize is enough (Lanczos
    costs 0.7 s on 24 MP), and a decode already within the draft slack is kept as it is."""
    if max_size is None or max(image.size) <= max_size:
        return image
    target = target_size(image.size, max_size)
    assert target is not None  # the long side exceeds max_size, so a downscale is needed
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


# --- 4-byte pixels for a display ------------------------------------------------------------

#: byte orders `render_pixels` writes, X being 255: a GUI asks for the one its display format holds
#: (Qt's RGB32 is B, G, R, X in memory on a little-endian machine), so its image paints without conversion
PIXEL_ORDERS = frozenset({"BGRX", "XRGB", "RGBX", "XBGR"})

#: the PIL transposes of finish_pixels.TRANSPOSE on an H×W array (the same pixel moves, checked by the tests)
_NUMPY_TRANSPOSE: dict[Image.Transpose, Callable[[np.ndarray], np.ndarray]] = {
    Image.Transpose.FLIP_LEFT_RIGHT: lambda a: a[:, ::-1],
    Image.Transpose.FLIP_TOP_BOTTOM: lambda a: a[::-1],
    Image.Transpose.ROTATE_90: lambda a: np.rot90(a, 1),
    Image.Transpose.ROTATE_180: lambda a: a[::-1, ::-1],
    Image.Transpose.ROTATE_270: lambda a: np.rot90(a, -1),
    Image.Transpose.TRANSPOSE: lambda a: a.swapaxes(0, 1),
    Image.Transpose.TRANSVERSE: lambda a: a[::-1, ::-1].swapaxes(0, 1),
}


@dataclass(frozen=True)
class Placed:
    """What `render_pixels` wrote: the upright size, the size 100% shows and any damage (as Rendition)."""

    size: tuple[int, int]
    full_size: tuple[int, int]
    damaged: str | None = None


def render_pixels(
    path: str | os.PathLike[str],
    allocate: Callable[[int, int], Any],
    max_size: int | None = None,
    *,
    order: str = "BGRX",
    thumbnail: bool = False,
) -> Placed:
    """`render`, written as 4-byte pixels in `order` into the buffer `allocate(width, height)` returns
    (writable, rows packed: width × 4 bytes each), so a GUI decodes straight into its own image with no
    copy. A JPEG stays at its DCT scale (`_dct_size`: from DRAFT_SLACK × `max_size` to about twice it)
    for the caller to scale to the exact size it draws, on its own faster scaler. If the fast path fails
    after allocating, `allocate` is called again: the last buffer it returned holds the photo."""
    if order not in PIXEL_ORDERS:
        raise ValueError(f"pixel order {order!r} is not one of {sorted(PIXEL_ORDERS)}")
    p = Path(os.fsdecode(os.fspath(path)))
    if p.suffix.lower() in _JPEG_SUFFIXES:
        placed = _jpeg_pixels(p, allocate, max_size, order)
        if placed is not None:
            return placed
    shown = render(p, max_size, thumbnail)
    rgb = np.asarray(shown.image.convert("RGB"))
    height, width = rgb.shape[:2]
    out = _buffer(allocate, width, height)
    for index, channel in enumerate(order):
        out[..., index] = 255 if channel == "X" else rgb[..., "RGB".index(channel)]
    return Placed((width, height), shown.full_size, shown.damaged)


def _buffer(allocate: Callable[[int, int], Any], width: int, height: int) -> np.ndarray:
    return np.frombuffer(allocate(width, height), dtype=np.uint8, count=width * height * 4).reshape(height, width, 4)


def _jpeg_pixels(path: Path, allocate: Callable[[int, int], Any], max_size: int | None, order: str) -> Placed | None:
    """libjpeg-turbo writes the caller's buffer itself when the photo is stored upright; otherwise it
    decodes aside and one transposed copy (on 32-bit words: 7 ms for 6 MP) lands in the buffer."""
    opened = _open_jpeg(path, max_size)
    if opened is None:
        return None
    meta, data, (width, height) = opened
    transpose = TRANSPOSE.get(meta.orientation)
    swapped = meta.orientation in (5, 6, 7, 8)
    upright = (height, width) if swapped else (width, height)
    out = _buffer(allocate, *upright)
    target = out if transpose is None else np.empty((height, width, 4), np.uint8)
    decoded = _decode_jpeg(data, colorspace=order, min_width=width, min_height=height, buffer=target)
    if decoded is None or decoded[0].shape[:2] != (height, width):
        return None
    if transpose is not None:
        words = decoded[0].view(np.uint32).reshape(height, width)
        np.copyto(out.view(np.uint32).reshape(upright[1], upright[0]), _NUMPY_TRANSPOSE[transpose](words))
    return Placed(upright, (meta.width or upright[0], meta.height or upright[1]), decoded[1])


# --- RAW -------------------------------------------------------------------------------------

_renders: collections.OrderedDict[tuple[str, int, int], Image.Image] = collections.OrderedDict()
_renders_lock = threading.Lock()


def _render_raw(path: Path, max_size: int | None) -> Rendition:
    with images.open_regular_file(path) as f:
        data = f.read()
        stat = os.fstat(f.fileno())
    try:
        full = _embedded_full(data)
        if full is None:
            full = _libraw_full(path, data, (stat.st_size, stat.st_mtime_ns))
    except rawpy.LibRawError as exc:
        raise ImageLoadError(path, libraw_reason(exc)) from exc
    return Rendition(fit(full, max_size), full.size)


def _embedded_full(data: bytes) -> Image.Image | None:
    """The embedded JPEG, upright, when it covers the sensor; else None."""
    with rawpy.imread(io.BytesIO(data)) as raw:
        sensor = (raw.sizes.width, raw.sizes.height)
        orientation = LIBRAW_FLIP_TO_EXIF.get(raw.sizes.flip, 1)
        try:
            thumb = raw.extract_thumb()
        except rawpy.LibRawError:
            return None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            img = open_pillow(io.BytesIO(cast(bytes, thumb.data)))  # a JPEG thumb's data is its bytes
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
    img = to_rgb(img)
    return img.transpose(TRANSPOSE[orientation]) if orientation in TRANSPOSE else img


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
    target = target_size(image.size, max_size)
    if target is None:
        return image
    # An integer box reduction first (cheap), then bilinear for the remainder.
    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
