"""Photo decoding (JPEG, PNG, TIFF, WebP, HEIF, camera RAW), EXIF, orientation, typed errors."""

from __future__ import annotations

import dataclasses
import errno
import functools
import io
import math
import os
import re
import stat
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt
import rawpy
from PIL import Image, TiffImagePlugin, UnidentifiedImageError

from ranker.libraw_stderr import UNKNOWN_FILE, LibRawWarning, libraw_messages
from ranker.tiff_exif import find_tiff_headers, raw_damage, read_tiff_tags

#: a file name as the loaders take it: text, bytes (any name survives, even one not UTF-8) or a path object
AnyPath = str | bytes | os.PathLike[str] | os.PathLike[bytes]

RAW_EXTENSIONS: frozenset[str] = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2"})
SUPPORTED_EXTENSIONS: frozenset[str] = (
    frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif"}) | RAW_EXTENSIONS
)

# Only these Pillow decoders may run: a renamed EPS/PSD/etc. must not reach exotic plugins
# (EPS shells out to Ghostscript). The JPEG opener also yields multi-picture (MPO) phone files.
_PILLOW_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "HEIF")

# EXIF orientation -> the transpose that makes the pixels upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# LibRaw's `flip` (dcraw numbering) -> EXIF orientation; dcraw maps EXIF v to "50132467"[v & 7].
_LIBRAW_FLIP_TO_EXIF = {0: 1, 1: 2, 3: 3, 2: 4, 4: 5, 6: 6, 7: 7, 5: 8}

# EXIF tag ids for the fields we read, by their EXIF name (exifread uses the same names).
_TAG_IDS = {
    "Make": 0x010F,
    "Model": 0x0110,
    "Orientation": 0x0112,
    "ExposureTime": 0x829A,
    "FNumber": 0x829D,
    "ISOSpeedRatings": 0x8827,
    "DateTimeOriginal": 0x9003,
    "DateTimeDigitized": 0x9004,
    "OffsetTimeOriginal": 0x9011,
    "OffsetTimeDigitized": 0x9012,
    "ExposureBiasValue": 0x9204,
    "SubSecTimeOriginal": 0x9291,
    "SubSecTimeDigitized": 0x9292,
    "LensModel": 0xA434,
}
_EXIF_IFD = 0x8769

# Bracketing never exceeds a few EV; larger values are uninitialised junk some firmwares write.
_MAX_EXPOSURE_BIAS = 20.0

_DATETIME_RE = re.compile(r"\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"\s*([+-])(\d{2}):?(\d{2})\s*$")

#: The largest image decoded (pixels); see _pillow_formats.
MAX_PIXELS = 200_000_000

# warnings.catch_warnings swaps the process-wide filter list; serialising our own uses keeps
# the decode pool's threads from restoring each other's filters. Held only while parsing headers.
_WARNINGS_LOCK = threading.Lock()


#: The file each decoding thread is reading, so warnings can name it.
_CURRENT = threading.local()


class ImageLoadError(Exception):
    """Any failure to read a photo; str(e) == f"{path}: {reason}".

    A path that is not valid UTF-8 is shown with its bad bytes escaped (b"bad\\xff.jpg" reads
    "bad\\xff.jpg"), so the message can always be printed or logged.
    """

    def __init__(self, path: AnyPath, reason: str):
        self.path = _as_path(path)
        self.reason = reason
        super().__init__(f"{_printable(self.path)}: {reason}")

    def __reduce__(self) -> tuple[type[ImageLoadError], tuple[Path, str]]:
        # The default pickling passes only the message back to __init__; process pools need both.
        return (type(self), (self.path, self.reason))


@dataclass(frozen=True)
class PhotoMetadata:
    """What the culling pipeline needs from a photo's EXIF; absent or garbage fields are None."""

    capture_time: datetime | None = None  # tz-aware only when the camera recorded an offset
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    exposure_time: float | None = None  # seconds
    aperture: float | None = None  # f-number
    iso: int | None = None
    exposure_bias: float | None = None  # EV
    orientation: int = 1  # EXIF 1-8
    width: int = 0  # full-resolution size after orientation
    height: int = 0
    damage: str = ""  # decodable, but not whole (a RAW whose own data is cut: the preview was used)

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["capture_time"] = self.capture_time.isoformat() if self.capture_time else None
        return d


def is_supported(path: AnyPath) -> bool:
    return _as_path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def is_raw(path: AnyPath) -> bool:
    return _as_path(path).suffix.lower() in RAW_EXTENSIONS


def read_metadata(path: AnyPath) -> PhotoMetadata:
    """EXIF and full-resolution size, without decoding pixels."""
    return _read(path, max_size=None, want_pixels=False)[1]


def load_image(path: AnyPath, max_size: int | None = None) -> Image.Image:
    """Upright RGB pixels, long side at most `max_size` (never upscaled), decoded at reduced size."""
    return cast(Image.Image, _read(path, max_size, want_pixels=True)[0])  # want_pixels: the image is decoded


def load_photo(path: AnyPath, max_size: int | None = None) -> tuple[Image.Image, PhotoMetadata]:
    """Pixels (as load_image) and metadata from one read of the file."""
    image, meta = _read(path, max_size, want_pixels=True)
    assert image is not None
    return image, meta


# --- file access ---------------------------------------------------------------------------


def _as_path(path: AnyPath) -> Path:
    # os.fsdecode keeps undecodable bytes as surrogates, so the path still opens the same file.
    return Path(os.fsdecode(os.fspath(path)))


def printable_path(path: str | os.PathLike[str]) -> str:
    """The path as text any terminal or JSON file takes: bytes that are not UTF-8 shown escaped."""
    return _printable(Path(os.fspath(path)))


def _printable(path: Path) -> str:
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


_ERRNO_REASONS: dict[int | None, str] = {  # an OSError's errno may be None: no reason found
    errno.ENOENT: "file not found",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symlink loop (too many levels of symbolic links)",
    errno.EISDIR: "is a directory",
    errno.ENAMETOOLONG: "file name too long",
}


def _os_error(path: Path, exc: OSError) -> ImageLoadError:
    reason = _ERRNO_REASONS.get(exc.errno) or (exc.strerror or str(exc)).lower()
    return ImageLoadError(path, reason)


def _open_regular_file(path: Path) -> BinaryIO:
    # O_NONBLOCK: opening a FIFO named *.jpg must not hang; it has no effect on regular files.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    except ValueError as exc:  # a NUL inside the name
        raise ImageLoadError(path, "invalid file name") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImageLoadError(path, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise ImageLoadError(path, "not a regular file")
        if info.st_size == 0:
            raise ImageLoadError(path, "empty file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(path: AnyPath, max_size: int | None, want_pixels: bool) -> tuple[Image.Image | None, PhotoMetadata]:
    if max_size is not None and (not isinstance(max_size, int) or max_size < 1):
        raise ValueError(f"max_size must be a positive int or None, not {max_size!r}")
    p = _as_path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ImageLoadError(p, f"unsupported file type {suffix or '(no extension)'!r}")
    with _open_regular_file(p) as f:
        _CURRENT.path = p
        try:
            if suffix in RAW_EXTENSIONS:
                return _decode_raw(f, p, max_size, want_pixels)
            try:
                return _decode_pillow(f, max_size, want_pixels)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning, _Damaged):
                raise
            except Exception as first:
                if suffix not in (".tif", ".tiff"):
                    raise
                # Packed 10/12/14-bit, float, planar, CMYK, many-channel TIFFs: valid, but beyond Pillow
                f.seek(0)
                try:
                    return _decode_tifffile(f, max_size, want_pixels)
                except (Image.DecompressionBombError, _NeedsCodecs):
                    raise
                except Exception:  # noqa: BLE001 - not a TIFF tifffile reads either: Pillow's reason stands
                    if isinstance(first, _BeyondPillow):
                        raise
                    raise first from None
        except ImageLoadError:
            raise
        except (_Damaged, _NeedsCodecs) as exc:
            raise ImageLoadError(p, str(exc)) from exc
        except rawpy.LibRawError as exc:
            raise ImageLoadError(p, _libraw_reason(exc)) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageLoadError(p, f"image too large to decode safely ({exc})") from exc
        except UnidentifiedImageError as exc:
            raise ImageLoadError(p, "not a recognised image (unknown or corrupt header)") from exc
        except MemoryError as exc:
            raise ImageLoadError(p, "not enough memory to decode") from exc
        except Exception as exc:  # decoders raise anything on bad data (SyntaxError, struct.error...)
            raise ImageLoadError(p, _decode_reason(exc)) from exc
        finally:
            _CURRENT.path = None


def _decode_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "truncated" in text.lower():
        return f"truncated file ({text})"
    return f"corrupt image data ({text})"


def _libraw_reason(exc: rawpy.LibRawError) -> str:
    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        return "not a RAW file this decoder supports"
    if isinstance(exc, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
        return f"corrupt or truncated RAW data ({exc})"
    return f"cannot decode RAW file ({type(exc).__name__}: {exc})"


# --- Pillow formats ------------------------------------------------------------------------


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


def _open_pillow(fp: BinaryIO) -> Image.Image:
    """Identify the image and parse its header, with decompression-bomb warnings as errors. Pillow's
    other header warnings ("Tag data larger than file") are re-issued with the file's name."""
    formats = _pillow_formats()
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(fp, formats=formats)
    where = getattr(_CURRENT, "path", None)
    for warning in caught:
        text = f"{_printable(where)}: {warning.message}" if where is not None else str(warning.message)
        warnings.warn(text, warning.category, stacklevel=2)
    return img


class _BeyondPillow(Exception):
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


def _decode_pillow(fp: BinaryIO, max_size: int | None, want_pixels: bool) -> tuple[Image.Image | None, PhotoMetadata]:
    img = _open_pillow(fp)
    if _pillow_misreads(img):
        raise _BeyondPillow(f"{img.mode} TIFF")
    stored = _stored_size(img)
    # EXIF comes from the header, before any decoder rotates pixels and drops the tag. A PNG's
    # eXIf chunk may follow the pixel data, and Pillow decodes the image to reach it.
    header = _pillow_exif(img) if img.format != "PNG" or "exif" in img.info else None
    target = _target_size(img.size, max_size) if want_pixels else None
    if target:
        # JPEG: DCT-domain downscale by 1/2..1/8; HEIF: an embedded thumbnail; others: no-op.
        img.draft("RGB", target)
    if want_pixels or header is None:
        img.load()
    if want_pixels and img.format == "JPEG":
        _check_grey_fill(img)
    fields = header if header is not None else _pillow_exif(img)
    orientation = _orientation(fields.get("Orientation"))
    # pillow_heif rotates at open and resets EXIF to 1; report what the file said.
    reported = img.info.get("original_orientation") or orientation
    meta = _metadata(fields.get, reported, _oriented_size(stored, orientation))
    if not want_pixels:
        return None, meta
    # Pillow's TIFF plugin (recent versions) rotates on load and deletes the tag: apply what is left.
    pending = _orientation(_pillow_exif(img).get("Orientation"))
    return _finish(img, target, pending), meta


class _Damaged(Exception):
    """Decoded, but not the photo the file should hold; the message is the reason."""


#: libjpeg pads a scan whose data ends early (a header claiming more than the data holds, a broken
#: card write) with mid-grey rows and does not fail; this many bottom rows of exact grey mean that.
_GREY_FILL_ROWS = 0.02


def _check_grey_fill(img: Image.Image) -> None:
    """Refuse a JPEG whose bottom rows are libjpeg's exact mid-grey padding: it would rank (and be
    auto-picked) as if it were whole."""
    pixels = np.asarray(img)
    grey = 128
    rows = 0
    for row in pixels[::-1]:  # from the bottom up; a real photo stops this at its first row
        if not (row == grey).all():
            break
        rows += 1
    if rows >= max(2, _GREY_FILL_ROWS * pixels.shape[0]):
        share = rows / pixels.shape[0]
        raise _Damaged(f"damaged JPEG: its data ends early, the bottom {share:.0%} is grey padding")


def _stored_size(img: Image.Image) -> tuple[int, int]:
    """The pixel grid as stored in the file (recent Pillow reports TIFF sizes already rotated)."""
    tags = getattr(img, "tag_v2", None) if img.format == "TIFF" else None
    width, height = (tags.get(256), tags.get(257)) if tags else (None, None)
    return (width, height) if isinstance(width, int) and isinstance(height, int) else img.size


def _pillow_exif(img: Image.Image) -> dict[str, Any]:
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            # Pillow warns about odd EXIF; a photo with broken EXIF is still a photo.
            warnings.simplefilter("ignore")
            exif = img.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            return {name: sub.get(tag, exif.get(tag)) for name, tag in _TAG_IDS.items()}
    except Exception:  # noqa: BLE001 - corrupt EXIF degrades to "no metadata"
        return {}


# --- TIFF variants Pillow cannot open ----------------------------------------------------


class _NeedsCodecs(Exception):
    """A valid TIFF whose compression or packed bit depth tifffile decodes only with imagecodecs."""


def _decode_tifffile(f: BinaryIO, max_size: int | None, want_pixels: bool) -> tuple[Image.Image | None, PhotoMetadata]:
    """The first page through tifffile (with imagecodecs: packed 10/12/14-bit integers, LZW, JPEG):
    any bit depth, float, planar, CMYK or extra channels, scaled by its own BitsPerSample (a 12-bit
    file is not 16x too dark); EXIF from the bounded TIFF reader, as for RAW."""
    import tifffile

    head = f.read(_RAW_EXIF_SPAN)
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
        orientation = _orientation(page.tags.valueof(274))
        meta = _metadata(_raw_exif(head), orientation, _oriented_size((width, height), orientation))
        if not want_pixels:
            return None, meta
        try:
            pixels = np.asarray(page.asarray())
        except (NotImplementedError, KeyError, ValueError) as exc:
            if "imagecodecs" in str(exc):
                bits = page.bitspersample
                compression = getattr(page.compression, "name", page.compression)  # an enum; untyped as int
                raise _NeedsCodecs(
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
    return _finish(img, _target_size(img.size, max_size), orientation), meta


# --- camera RAW ----------------------------------------------------------------------------


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
    """LibRaw's messages (printed from C, caught by ranker.libraw_stderr) as warnings naming the file;
    under the warnings lock, so a Pillow catcher in another thread cannot take them as its own."""
    if not messages:
        return
    with _WARNINGS_LOCK:
        for real, text in messages:
            warnings.warn(f"{_printable(real)}: LibRaw: {text}", LibRawWarning, stacklevel=2)


def _decode_raw(
    f: BinaryIO, path: Path, max_size: int | None, want_pixels: bool
) -> tuple[Image.Image | None, PhotoMetadata]:
    head = f.read(_RAW_EXIF_SPAN)
    get = _raw_exif(head)
    damage = raw_damage(head, os.fstat(f.fileno()).st_size)
    source = _libraw_source(f, path)
    libraw_name = source if isinstance(source, str) else UNKNOWN_FILE
    with libraw_messages(libraw_name, path, _warn_libraw), rawpy.imread(source) as raw:
        # LibRaw's flip is what postprocess applies, so the preview path must use the same one.
        orientation = _LIBRAW_FLIP_TO_EXIF.get(raw.sizes.flip, 1)
        sensor = (raw.sizes.width, raw.sizes.height)
        meta = _metadata(get, orientation, _oriented_size(sensor, orientation))
        if not want_pixels:
            return None, dataclasses.replace(meta, damage=f"RAW data damaged ({damage})" if damage else "")
        if max_size is not None:
            preview = _raw_preview(raw, sensor, max_size)
            if preview is not None:
                if damage:
                    meta = dataclasses.replace(meta, damage=f"RAW data damaged ({damage}), preview only")
                return _finish(preview, _target_size(preview.size, max_size), orientation), meta
        if damage:  # no preview to fall back on: LibRaw would demosaic garbage or fail
            raise _Damaged(f"RAW data damaged ({damage})")
        # Half-size demosaic is ~4x faster and plenty when it still covers max_size.
        half = max_size is not None and max(sensor) // 2 >= max_size
        rgb = raw.postprocess(half_size=half, use_camera_wb=True)
    img = Image.fromarray(rgb)
    return _finish(img, _target_size(img.size, max_size), 1), meta  # postprocess already flipped


def _raw_preview(raw: rawpy.RawPy, sensor: tuple[int, int], max_size: int) -> Image.Image | None:
    """The camera's embedded preview if it covers max_size with the sensor's aspect, else None."""
    try:
        thumb = raw.extract_thumb()
        if thumb.format == rawpy.ThumbFormat.JPEG:
            img = _open_pillow(io.BytesIO(cast(bytes, thumb.data)))  # a JPEG thumb's data is its bytes
        elif thumb.format == rawpy.ThumbFormat.BITMAP:
            img = Image.fromarray(cast(np.ndarray, thumb.data))  # a BITMAP thumb's data is an RGB array
        else:
            return None
        # A letterboxed, cropped or pre-rotated preview would not match the RAW; demosaic instead.
        aspect, sensor_aspect = img.width / img.height, sensor[0] / sensor[1]
        if max(img.size) < max_size or abs(aspect - sensor_aspect) > 0.05 * sensor_aspect:
            return None
        target = _target_size(img.size, max_size)
        if target:
            img.draft("RGB", target)
        img.load()
        return img
    except Exception:  # noqa: BLE001 - a bad preview is not a bad RAW: fall back to demosaicing
        return None


#: Bytes of a RAW searched for its EXIF: IFD0 and the EXIF IFD sit in the first kilobytes of every
#: TIFF-based RAW, in CR3's first boxes and in a RAF's embedded JPEG header.
_RAW_EXIF_SPAN = 1024 * 1024
_WANTED_TAGS = frozenset(_TAG_IDS.values())


def _raw_exif(data: bytes) -> Callable[[str], Any]:
    """EXIF fields by name, from the bounded TIFF reader (IFD0 + EXIF IFD, capped entries and sizes):
    a crafted IFD loop costs microseconds, where following every pointer ran for minutes."""
    head = data[:_RAW_EXIF_SPAN]
    tags: dict[int, Any] = {}
    for start in find_tiff_headers(head):
        for tag, value in read_tiff_tags(head, start, _WANTED_TAGS).items():
            tags.setdefault(tag, value)

    def get(name: str) -> Any:
        return tags.get(_TAG_IDS[name])

    return get


# --- pixels --------------------------------------------------------------------------------


def _target_size(size: tuple[int, int], max_size: int | None) -> tuple[int, int] | None:
    """The size that fits max_size keeping the aspect, or None when no downscale is needed."""
    w, h = size
    if max_size is None or max(w, h) <= max_size:
        return None
    scale = max_size / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _oriented_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else (size[0], size[1])


def _finish(img: Image.Image, target: tuple[int, int] | None, orientation: int) -> Image.Image:
    """RGB, exactly `target` in size, upright, detached from the file it came from."""
    source = img
    img = _to_rgb(img)
    if target and img.size != target:
        # reducing_gap: a fast integer box reduction first, then Lanczos for the last <3x.
        img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in _TRANSPOSE:
        img = img.transpose(_TRANSPOSE[orientation])
    if img is source:
        img = img.copy()  # an ImageFile still points at our (now closed) file object
    # The pixels are upright now; a stale EXIF orientation would rotate them twice if re-saved.
    img.info.pop("exif", None)
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # Pillow clips 16-bit values to 255 when converting; scale them by the file's own bit depth
        # (a 12-bit TIFF's white is 4095, not 65535).
        tags = getattr(img, "tag_v2", None)
        bits = _first(tags.get(258)) if tags is not None else None
        peak = float((1 << bits) - 1) if isinstance(bits, int) and 8 < bits < 16 else 65535.0
        scaled = np.clip(np.asarray(img, dtype=np.float32) * (255.0 / peak), 0, 255).astype(np.uint8)
        return Image.fromarray(scaled).convert("RGB")
    if img.mode == "F":  # float TIFF: 0..1 by convention, else scaled by its peak
        values = np.nan_to_num(np.asarray(img, dtype=np.float32))
        peak = float(values.max()) if values.size and values.max() > 1.0 else 1.0
        return Image.fromarray((np.clip(values / peak, 0, 1) * 255 + 0.5).astype(np.uint8)).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        # Fully transparent pixels often hold arbitrary colours; show them on white.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


# --- EXIF values ---------------------------------------------------------------------------


def _metadata(get: Callable[[str], Any], orientation: int, size: tuple[int, int]) -> PhotoMetadata:
    time = _capture_time(get("DateTimeOriginal"), get("SubSecTimeOriginal"), get("OffsetTimeOriginal"))
    if time is None:  # scanners and some phones only fill the "digitized" time
        time = _capture_time(get("DateTimeDigitized"), get("SubSecTimeDigitized"), get("OffsetTimeDigitized"))
    exposure, aperture = _number(get("ExposureTime")), _number(get("FNumber"))
    iso, bias = _number(get("ISOSpeedRatings")), _number(get("ExposureBiasValue"))
    return PhotoMetadata(
        capture_time=time,
        make=_text(get("Make")),
        model=_text(get("Model")),
        lens=_text(get("LensModel")),
        exposure_time=exposure if exposure and exposure > 0 else None,
        aperture=aperture if aperture and aperture > 0 else None,
        iso=int(iso) if iso and iso >= 1 else None,
        exposure_bias=bias if bias is not None and abs(bias) <= _MAX_EXPOSURE_BIAS else None,
        orientation=orientation,
        width=size[0],
        height=size[1],
    )


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value) if not isinstance(value, (str, bytes)) else value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    # Fixed-size EXIF fields are NUL-padded, sometimes with junk after the first NUL.
    value = value.split("\x00", 1)[0].strip()
    return value or None


def _number(value: Any) -> float | None:
    value = _first(value)
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        if getattr(value, "denominator", 1) == 0:  # x/0 rationals
            return None
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None  # Pillow turns x/0 into nan


def _orientation(value: Any) -> int:
    number = _number(value)
    return int(number) if number is not None and number == int(number) and 1 <= number <= 8 else 1


def _capture_time(when: Any, subsec: Any, offset: Any) -> datetime | None:
    text = _text(when)
    match = _DATETIME_RE.match(text) if text else None
    if not match:
        return None
    try:
        # _DATETIME_RE has six groups: year, month, day, hour, minute, second
        time = datetime(*cast("tuple[int, int, int, int, int, int]", tuple(int(g) for g in match.groups())))
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None
    digits = re.match(r"\s*(\d+)", _text(subsec) or "")
    if digits:
        time = time.replace(microsecond=int(digits.group(1)[:6].ljust(6, "0")))
    zone = _OFFSET_RE.match(_text(offset) or "")
    if zone:
        sign = -1 if zone.group(1) == "-" else 1
        delta = timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
        if delta < timedelta(hours=24):
            time = time.replace(tzinfo=timezone(sign * delta))
    return time
