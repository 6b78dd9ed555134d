"""Decoding the TIFFs Pillow cannot (packed 10-14 bit, float, planar, CMYK, many channels) through tifffile."""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from ranker.io.finish_pixels import finish, oriented_size, target_size
from ranker.io.photo_metadata import (
    RAW_EXIF_SPAN,
    PhotoMetadata,
    exif_orientation,
    metadata_from_exif,
    tiff_exif_fields,
)
from ranker.io.pillow_decode import MAX_PIXELS


class NeedsCodecs(Exception):
    """A valid TIFF whose compression or packed bit depth tifffile decodes only with imagecodecs."""


def decode_tifffile(f: BinaryIO, max_size: int | None, want_pixels: bool) -> tuple[Image.Image | None, PhotoMetadata]:
    """The first page through tifffile (with imagecodecs: packed 10/12/14-bit integers, LZW, JPEG):
    any bit depth, float, planar, CMYK or extra channels, scaled by its own BitsPerSample (a 12-bit
    file is not 16x too dark); EXIF from the bounded TIFF reader, as for RAW."""
    import tifffile

    head = f.read(RAW_EXIF_SPAN)
    f.seek(0)
    try:
        tif = tifffile.TiffFile(f, name="image.tif")  # our fd-backed file has no name
    except tifffile.TiffFileError as exc:
        raise UnidentifiedImageError(str(exc)) from exc
    with tif:
        page = tif.pages.first
        width, height = int(page.imagewidth), int(page.imagelength)
        if width * height > MAX_PIXELS:
            raise Image.DecompressionBombError(f"{width}x{height} pixels exceeds the {MAX_PIXELS:,} limit")
        orientation = exif_orientation(page.tags.valueof(274))
        meta = metadata_from_exif(tiff_exif_fields(head), orientation, oriented_size((width, height), orientation))
        if not want_pixels:
            return None, meta
        try:
            pixels = np.asarray(page.asarray())
        except (NotImplementedError, KeyError, ValueError) as exc:
            if "imagecodecs" in str(exc):
                bits = page.bitspersample
                compression = getattr(page.compression, "name", page.compression)  # an enum; untyped as int
                raise NeedsCodecs(
                    f"{bits}-bit {compression} TIFF: decoding it needs the imagecodecs package "
                    f"(pip install imagecodecs)"
                ) from exc
            raise
        axes, bits, photometric = page.axes, int(page.bitspersample), int(page.photometric)
        colormap = page.colormap if photometric == 3 else None
    if "S" in axes and pixels.ndim == 3:
        pixels = np.moveaxis(pixels, axes.index("S"), -1)  # planar (samples first) -> samples last
    if colormap is not None and pixels.ndim == 2:  # palette: 16-bit RGB entries
        pixels = np.moveaxis(np.asarray(colormap)[:, pixels], 0, -1)
        bits = 16
    scaled: npt.NDArray[np.floating[Any]]  # 0-1
    if np.issubdtype(pixels.dtype, np.floating):
        pixels = np.nan_to_num(pixels.astype(np.float32))
        peak = float(pixels.max()) if pixels.size else 1.0
        scaled = pixels / (peak if peak > 1.0 else 1.0)
    elif np.issubdtype(pixels.dtype, np.signedinteger):  # negative is below black
        scaled = pixels.astype(np.float32) / float((1 << (min(bits, 32) - 1)) - 1)
    else:
        scaled = pixels.astype(np.float32) / float((1 << min(bits, 32)) - 1)
    if photometric == 0:  # MinIsWhite: 0 is white
        scaled = 1.0 - np.clip(scaled, 0.0, 1.0)
    data = (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if data.ndim == 3 and data.shape[-1] == 4 and photometric == 5:  # SEPARATED: CMYK
        img = Image.fromarray(data, "CMYK").convert("RGB")
    elif data.ndim == 3 and data.shape[-1] >= 3:
        img = Image.fromarray(np.ascontiguousarray(data[..., :3]), "RGB")  # extra samples dropped
    else:
        img = Image.fromarray(np.ascontiguousarray(data if data.ndim == 2 else data[..., 0]), "L")
    return finish(img, target_size(img.size, max_size), orientation), meta
