"""Test-file generators: images with EXIF, a synthetic Bayer DNG, and every kind of bad input."""

from __future__ import annotations

import os
import struct
import zlib
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, TiffImagePlugin

EXIF_IFD = 0x8769
# Tags that live in IFD0 even though their ids are above the TIFF baseline range.
_IFD0_HIGH_TAGS = {0x8298}  # Copyright


def textured_image(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    """A deterministic RGB image with gradients, noise (so JPEGs have real entropy data) and a
    red top-left and blue bottom-right block, so tests can tell which way up it is."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    noise = np.random.default_rng(seed).integers(0, 64, (h, w))
    rgb = np.stack([xx * 160 // max(w, 1), yy * 160 // max(h, 1), 60 + noise], axis=-1)
    bw, bh = max(1, w // 4), max(1, h // 4)
    rgb[:bh, :bw] = (250, 10, 10)
    rgb[-bh:, -bw:] = (10, 10, 250)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def corner_colours(img: Image.Image) -> tuple[str, str]:
    """("red"|"blue"|"other") at the top-left and bottom-right corner of an upright textured_image."""

    def name(x: int, y: int) -> str:
        r, g, b = img.convert("RGB").getpixel((x, y))[:3]
        if r > 150 and g < 100 and b < 100:
            return "red"
        if b > 150 and r < 100 and g < 100:
            return "blue"
        return "other"

    dx, dy = max(1, img.width // 16), max(1, img.height // 16)
    return name(dx, dy), name(img.width - 1 - dx, img.height - 1 - dy)


UPRIGHT = ("red", "blue")  # corner_colours of an upright textured_image


def grey(img: Image.Image, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """The image as a small float grey array, for comparing two renderings of the same picture."""
    return np.asarray(img.convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def stored_for_orientation(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores so that applying EXIF `orientation` shows `upright`."""
    inverse = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,  # displaying rotates 90 CW, so store it 90 CCW
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    return upright.transpose(inverse) if inverse is not None else upright.copy()


def _exif_time(value: datetime | str) -> str:
    return value.strftime("%Y:%m:%d %H:%M:%S") if isinstance(value, datetime) else value


def _rational(value: float | Fraction) -> TiffImagePlugin.IFDRational:
    frac = Fraction(value).limit_denominator(100000)
    return TiffImagePlugin.IFDRational(frac.numerator, frac.denominator)


def build_exif(
    exif: dict | None = None,
    *,
    orientation: int | None = None,
    capture_time: datetime | str | None = None,
    subsec: str | int | None = None,
    offset: str | None = None,
    exposure_bias: float | None = None,
    make: str | None = None,
    model: str | None = None,
) -> Image.Exif:
    """An Image.Exif with IFD0 and ExifIFD tags; `exif` keys are tag ids or ExifTags.Base names.

    Floats are written as rationals; pass an IFDRational yourself for odd values (e.g. x/0).
    """
    tags: dict[int, object] = {}
    for key, value in (exif or {}).items():
        tags[ExifTags.Base[key] if isinstance(key, str) else key] = value
    named = {
        ExifTags.Base.Orientation: orientation,
        ExifTags.Base.Make: make,
        ExifTags.Base.Model: model,
        ExifTags.Base.DateTimeOriginal: _exif_time(capture_time) if capture_time else None,
        ExifTags.Base.SubsecTimeOriginal: str(subsec) if subsec is not None else None,
        ExifTags.Base.OffsetTimeOriginal: offset,
        ExifTags.Base.ExposureBiasValue: exposure_bias,
    }
    tags.update({int(k): v for k, v in named.items() if v is not None})

    result = Image.Exif()
    sub = result.get_ifd(EXIF_IFD)
    for tag, value in tags.items():
        if isinstance(value, float):
            value = _rational(value)
        target = result if tag < 0x8000 or tag in _IFD0_HIGH_TAGS else sub
        target[tag] = value
    return result


def write_jpeg(
    path: str | os.PathLike,
    image: Image.Image | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    exif: dict | None = None,
    orientation: int | None = None,
    capture_time: datetime | str | None = None,
    subsec: str | int | None = None,
    offset: str | None = None,
    exposure_bias: float | None = None,
    make: str | None = None,
    model: str | None = None,
    quality: int = 90,
) -> Path:
    """Write `image` (default: textured_image(size)) as a JPEG with the given EXIF."""
    path = Path(path)
    img = (image if image is not None else textured_image(size)).convert("RGB")
    info = build_exif(
        exif,
        orientation=orientation,
        capture_time=capture_time,
        subsec=subsec,
        offset=offset,
        exposure_bias=exposure_bias,
        make=make,
        model=model,
    )
    img.save(path, "JPEG", quality=quality, exif=info)
    return path


def write_image(
    path: str | os.PathLike,
    image: Image.Image | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    orientation: int | None = None,
    exif: dict | None = None,
) -> Path:
    """Write PNG/TIFF/WebP/HEIF/JPEG chosen by the suffix, with optional EXIF.

    Pillow's TIFF writer keeps only IFD0 tags (orientation, make, model), not the EXIF sub-IFD.
    """
    path = Path(path)
    img = image if image is not None else textured_image(size)
    fmt = {
        ".jpg": "JPEG",
        ".jpeg": "JPEG",
        ".png": "PNG",
        ".tif": "TIFF",
        ".tiff": "TIFF",
        ".webp": "WEBP",
        ".heic": "HEIF",
        ".heif": "HEIF",
    }[path.suffix.lower()]
    info = build_exif(exif, orientation=orientation)
    options: dict = {"quality": 90} if fmt in ("WEBP", "HEIF") else {}
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
        # HEIF readers ignore EXIF orientation and apply the container's irot/imir transform;
        # pillow_heif writes that transform only for EXIF found in image.info (not the exif= kwarg).
        img = img.copy()
        img.info["exif"] = info.tobytes()
    else:
        options["exif"] = info
    img.save(path, fmt, **options)
    return path


def write_dng(
    path: str | os.PathLike,
    size: tuple[int, int] = (256, 192),
    capture_time: datetime | str | None = None,
    orientation: int = 1,
    *,
    preview_size: tuple[int, int] | None = None,
    make: str = "PhotoTriage",
    model: str = "Synthetic DNG",
) -> Path:
    """A Bayer (RGGB, 12-bit) DNG of textured_image(size) that rawpy opens and demosaics.

    The pixels are stored in sensor orientation; `orientation` (EXIF 1-8) tells readers how to
    turn them, so a correct reader shows textured_image upright. With `preview_size` the raw goes
    into a SubIFD and IFD0 holds an uncompressed RGB preview (LibRaw's BITMAP thumbnail).
    """
    import tifffile

    path = Path(path)
    w, h = size
    if w % 2 or h % 2:
        raise ValueError("Bayer size must be even")
    upright = textured_image(size if orientation <= 4 else (h, w))
    stored = np.asarray(stored_for_orientation(upright, orientation), dtype=np.float32) / 255.0
    white = 4095
    cfa = np.empty((h, w), np.uint16)
    cfa[0::2, 0::2] = stored[0::2, 0::2, 0] * white  # R
    cfa[0::2, 1::2] = stored[0::2, 1::2, 1] * white  # G
    cfa[1::2, 0::2] = stored[1::2, 0::2, 1] * white  # G
    cfa[1::2, 1::2] = stored[1::2, 1::2, 2] * white  # B

    ifd0 = [
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (274, "H", 1, orientation, True),
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50708, "s", 0, f"{make} {model}", True),  # UniqueCameraModel
        # ColorMatrix1 = identity, D65, neutral white balance: the camera "is" sRGB-ish.
        (50721, "2i", 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    if capture_time is not None:
        ifd0.append((36867, "s", 0, _exif_time(capture_time), True))  # TIFF/EP DateTimeOriginal
    raw_tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern RGGB
        (50714, "H", 1, 0, True),  # BlackLevel
        (50717, "I", 1, white, True),  # WhiteLevel
    ]
    with tifffile.TiffWriter(path) as tif:
        if preview_size is None:
            tif.write(cfa, photometric=32803, subfiletype=0, extratags=ifd0 + raw_tags, metadata=None)
        else:
            small = Image.fromarray((stored * 255).astype(np.uint8)).resize(preview_size)
            preview = np.asarray(small)
            tif.write(preview, photometric="rgb", subfiletype=1, subifds=1, extratags=ifd0, metadata=None)
            tif.write(cfa, photometric=32803, subfiletype=0, extratags=raw_tags, metadata=None)
    return path


# --- bad inputs ----------------------------------------------------------------------------


def make_empty(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.write_bytes(b"")
    return path


def _encoded(path: Path) -> bytes:
    import io

    buf = io.BytesIO()
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    textured_image((320, 240)).save(buf, fmt)
    return buf.getvalue()


def make_truncated(path: str | os.PathLike, keep: float = 0.5) -> Path:
    """A JPEG (or PNG, by suffix) cut off after `keep` of its bytes."""
    path = Path(path)
    data = _encoded(path)
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def make_bitflipped(path: str | os.PathLike) -> Path:
    """A JPEG (or PNG) with bits flipped throughout its compressed data.

    Flips are dense on purpose: lossy decoders shrug off a few flipped bits in entropy-coded
    data (producing garbage pixels, not errors), so sparse damage is not reliably detectable.
    """
    path = Path(path)
    data = bytearray(_encoded(path))
    for i in range(len(data) // 4, len(data), 50):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    return path


def make_text_file(path: str | os.PathLike) -> Path:
    """A text file wearing an image extension."""
    path = Path(path)
    path.write_text("These are not the pixels you are looking for.\n" * 20)
    return path


def make_bomb_png(path: str | os.PathLike, width: int = 100_000, height: int = 100_000) -> Path:
    """A valid-looking PNG whose header claims width x height pixels; a few hundred bytes on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * width  # one filter byte + one (black) row; the rest is missing
    idat = zlib.compress(row, 9)
    path = Path(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def make_symlink_loop(path: str | os.PathLike) -> Path:
    """`path` -> `path`.loop -> `path`: opening either fails with ELOOP."""
    path = Path(path)
    other = path.with_name(path.name + ".loop")
    os.symlink(other.name, path)
    os.symlink(path.name, other)
    return path


def make_fifo(path: str | os.PathLike) -> Path:
    """A named pipe with an image name: a naive open() would block forever."""
    path = Path(path)
    os.mkfifo(path)
    return path


def non_utf8_path(directory: str | os.PathLike, name: bytes = b"bad\xff.jpg") -> Path:
    """A path whose file name is not valid UTF-8 (kept as surrogates, as os.fsdecode does).

    Raises OSError on file systems that refuse such names (macOS APFS); callers skip then.
    """
    path = Path(os.fsdecode(os.path.join(os.fsencode(directory), name)))
    probe = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    os.close(probe)
    os.unlink(path)
    return path
