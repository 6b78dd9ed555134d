"""Tests for ranker/io/tiff_decode.py: the TIFF layouts Pillow cannot decode, each at its own brightness."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ranker.io.images import load_photo
from ranker.io.load_errors import ImageLoadError


@pytest.mark.parametrize("kind", ["float32 grey", "float64 rgb", "cmyk", "planar rgb", "five channels"])
def test_tiff_variants_beyond_pillow_decode_at_their_own_scale(tmp_path, kind):
    import tifffile

    grey = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64)
    data, options, mean = {
        "float32 grey": (grey, {}, 127.5),
        "float64 rgb": (np.full((48, 64, 3), 0.5), {"photometric": "rgb"}, 128),
        "cmyk": (np.full((48, 64, 4), 60, np.uint8), {"photometric": "separated"}, 149),
        "planar rgb": (np.full((3, 48, 64), 200, np.uint8), {"planarconfig": "separate", "photometric": "rgb"}, 200),
        "five channels": (
            np.full((48, 64, 5), 100, np.uint8),
            {"photometric": "rgb", "planarconfig": "contig", "extrasamples": (0, 0)},
            100,
        ),
    }[kind]
    path = tmp_path / "variant.tif"
    tifffile.imwrite(path, data, **options)
    image, meta = load_photo(path)
    assert image.mode == "RGB" and image.size == (64, 48) and (meta.width, meta.height) == (64, 48)
    assert np.asarray(image).mean() == pytest.approx(mean, abs=1.5)


def _ramp(bits_or_kind, channels: int = 1) -> np.ndarray:
    """A left-to-right ramp from black to full scale, 48x64, in the given integer depth or float type."""
    unit = np.linspace(0.0, 1.0, 64)[None, :].repeat(48, 0)
    if isinstance(bits_or_kind, int):
        dtype = np.uint8 if bits_or_kind <= 8 else np.uint16 if bits_or_kind <= 16 else np.uint32
        values = (unit * ((1 << bits_or_kind) - 1)).round().astype(dtype)
    elif bits_or_kind == "int32":
        values = (unit * (2**31 - 1)).round().astype(np.int32)
    else:
        values = unit.astype(bits_or_kind)
    return values if channels == 1 else np.stack([values] * channels, -1)


#: TIFF layouts seen in the wild (scanners, machine-vision and astro cameras, Photoshop, GIS tools):
#: {name: (pixels, tifffile.imwrite options)}. Packed depths need imagecodecs to write and to read.
TIFF_RAMPS = {
    "10-bit packed grey": (_ramp(10), {"bitspersample": 10}),
    "12-bit packed grey": (_ramp(12), {"bitspersample": 12}),
    "12-bit packed grey, tiled": (_ramp(12), {"bitspersample": 12, "tile": (16, 16)}),
    "12-bit packed rgb": (_ramp(12, 3), {"bitspersample": 12, "photometric": "rgb"}),
    "14-bit packed grey": (_ramp(14), {"bitspersample": 14}),
    "4-bit packed grey": (_ramp(4), {"bitspersample": 4}),
    "16-bit grey": (_ramp(16), {}),
    "16-bit rgb": (_ramp(16, 3), {"photometric": "rgb"}),
    "16-bit planar rgb": (np.moveaxis(_ramp(16, 3), -1, 0), {"photometric": "rgb", "planarconfig": "separate"}),
    "16-bit planar rgb, lzw": (
        np.moveaxis(_ramp(16, 3), -1, 0),
        {"photometric": "rgb", "planarconfig": "separate", "compression": "lzw", "predictor": True},
    ),
    "16-bit five channels": (_ramp(16, 5), {"photometric": "rgb", "extrasamples": (0, 0)}),
    "16-bit cmyk": ((65535 - _ramp(16, 4)) * np.array([0, 0, 0, 1], np.uint16), {"photometric": "separated"}),
    "32-bit unsigned grey": (_ramp(32), {}),
    "32-bit signed grey": (_ramp("int32"), {}),
    "16-bit float grey": (_ramp(np.float16), {}),
    "32-bit float grey": (_ramp(np.float32), {}),
    "32-bit float rgb, lzw + predictor": (
        _ramp(np.float32, 3),
        {"photometric": "rgb", "compression": "lzw", "predictor": True},
    ),
    "32-bit float planar rgb": (
        np.moveaxis(_ramp(np.float32, 3), -1, 0),
        {"photometric": "rgb", "planarconfig": "separate"},
    ),
    "64-bit float rgb": (_ramp(np.float64, 3), {"photometric": "rgb"}),
    "8-bit planar rgb": (np.moveaxis(_ramp(8, 3), -1, 0), {"photometric": "rgb", "planarconfig": "separate"}),
    "8-bit five channels": (_ramp(8, 5), {"photometric": "rgb", "extrasamples": (0, 0)}),
    "8-bit cmyk": ((255 - _ramp(8, 4)) * np.array([0, 0, 0, 1], np.uint8), {"photometric": "separated"}),
    "8-bit palette": (
        _ramp(8),
        {"photometric": "palette", "colormap": np.repeat((np.arange(256) * 257)[None], 3, 0).astype(np.uint16)},
    ),
}


def _big_endian_packed_tiff(path: Path, values: np.ndarray, bits: int) -> Path:
    """A big-endian grey TIFF of `bits`-bit samples packed MSB first, rows padded to a byte, as the
    TIFF spec lays them out (tifffile 2026.3 writes big-endian packed samples byte-swapped)."""
    height, width = values.shape
    shifts = np.arange(bits - 1, -1, -1, dtype=np.uint32)
    rows = []
    for row in values.astype(np.uint32):
        row_bits = ((row[:, None] >> shifts) & 1).astype(np.uint8).ravel()
        rows.append(np.packbits(row_bits).tobytes())  # packbits pads the row's last byte with zeros
    body = b"".join(rows)
    tags = [(256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, 1), (262, 3, 1), (273, 4, 0)]
    tags += [(277, 3, 1), (278, 4, height), (279, 4, len(body))]
    data_at = 8 + 2 + 12 * len(tags) + 4
    ifd = struct.pack(">H", len(tags))
    for tag, kind, value in tags:
        value = data_at if tag == 273 else value
        ifd += struct.pack(">HHI", tag, kind, 1) + (
            struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value)
        )
    path.write_bytes(b"MM\x00*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0) + body)
    return path


def test_a_big_endian_packed_12_bit_tiff_decodes_at_its_own_brightness(tmp_path):
    pytest.importorskip("imagecodecs")
    path = _big_endian_packed_tiff(tmp_path / "be12.tif", _ramp(12), 12)
    image, _ = load_photo(path)
    levels = np.asarray(image.convert("L"), dtype=np.float32).mean(axis=0)
    assert np.abs(levels - np.linspace(0.0, 255.0, 64)).max() <= 2.0, levels.round().tolist()


@pytest.mark.parametrize("kind", sorted(TIFF_RAMPS))
def test_tiff_variants_decode_at_their_own_brightness(tmp_path, kind):
    """Every column of the ramp comes back at its own level: a 12-bit file is not 16x (or ~7 EV) too
    dark, a planar one is not striped, 32-bit and signed integers do not wrap."""
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")  # a dependency: tifffile's packed-integer and LZW codecs
    pixels, options = TIFF_RAMPS[kind]
    path = tmp_path / "ramp.tif"
    tifffile.imwrite(path, pixels, **options)
    image, meta = load_photo(path)
    assert image.mode == "RGB" and image.size == (64, 48) and (meta.width, meta.height) == (64, 48)
    levels = np.asarray(image.convert("L"), dtype=np.float32).mean(axis=0)
    expected = np.linspace(0.0, 255.0, 64)
    step = 255.0 / 15 if kind.startswith("4-bit") else 0.0  # 16 grey levels round each column
    assert np.abs(levels - expected).max() <= 2.0 + step / 2, (kind, levels.round().tolist())


def test_a_12_bit_tiff_keeps_its_exif_capture_time(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")
    path = tmp_path / "scan.tif"
    exif = [(0x010F, "s", 0, "Nikon", True), (0x9003, "s", 20, "2024:05:06 07:08:09", True)]
    tifffile.imwrite(path, _ramp(12), bitspersample=12, extratags=exif)
    tifffile.imwrite(tmp_path / "plain.tif", _ramp(12), bitspersample=12)
    _, meta = load_photo(path)  # pixels through tifffile, EXIF through the bounded TIFF reader
    assert (meta.make, meta.capture_time) == ("Nikon", datetime(2024, 5, 6, 7, 8, 9))
    assert load_photo(tmp_path / "plain.tif")[1].capture_time is None


def test_a_packed_tiff_without_imagecodecs_names_what_is_missing(tmp_path, monkeypatch):
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")
    path = tmp_path / "scan12.tif"
    tifffile.imwrite(path, _ramp(12, 3), bitspersample=12, photometric="rgb")
    from tifffile import _imagecodecs as fallback  # what tifffile uses when imagecodecs is not installed

    monkeypatch.setattr(tifffile.tifffile, "imagecodecs", fallback)
    with pytest.raises(ImageLoadError, match=r"scan12\.tif.*12-bit.*imagecodecs"):
        load_photo(path)
