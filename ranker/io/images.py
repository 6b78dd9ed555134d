"""Loading a photo: which files are photos, opening one safely, the decoder for its type, typed errors."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO, cast

import rawpy
from PIL import Image, UnidentifiedImageError

from ranker.io.decode_warnings import decoding
from ranker.io.load_errors import AnyPath, Damaged, ImageLoadError, as_path
from ranker.io.photo_metadata import PhotoMetadata
from ranker.io.pillow_decode import BeyondPillow, decode_pillow
from ranker.io.raw_decode import decode_raw, libraw_reason
from ranker.io.tiff_decode import NeedsCodecs, decode_tifffile

RAW_EXTENSIONS: frozenset[str] = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2"})
SUPPORTED_EXTENSIONS: frozenset[str] = (
    frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif"}) | RAW_EXTENSIONS
)


def is_supported(path: AnyPath) -> bool:
    return as_path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def is_raw(path: AnyPath) -> bool:
    return as_path(path).suffix.lower() in RAW_EXTENSIONS


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


def open_regular_file(path: Path) -> BinaryIO:
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
    p = as_path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ImageLoadError(p, f"unsupported file type {suffix or '(no extension)'!r}")
    with open_regular_file(p) as f, decoding(p):
        try:
            if suffix in RAW_EXTENSIONS:
                return decode_raw(f, p, max_size, want_pixels)
            try:
                return decode_pillow(f, max_size, want_pixels)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning, Damaged):
                raise
            except Exception as first:
                if suffix not in (".tif", ".tiff"):
                    raise
                # Packed 10/12/14-bit, float, planar, CMYK, many-channel TIFFs: valid, but beyond Pillow
                f.seek(0)
                try:
                    return decode_tifffile(f, max_size, want_pixels)
                except (Image.DecompressionBombError, NeedsCodecs):
                    raise
                except Exception:  # noqa: BLE001 - not a TIFF tifffile reads either: Pillow's reason stands
                    if isinstance(first, BeyondPillow):
                        raise
                    raise first from None
        except ImageLoadError:
            raise
        except (Damaged, NeedsCodecs) as exc:
            raise ImageLoadError(p, str(exc)) from exc
        except rawpy.LibRawError as exc:
            raise ImageLoadError(p, libraw_reason(exc)) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageLoadError(p, f"image too large to decode safely ({exc})") from exc
        except UnidentifiedImageError as exc:
            raise ImageLoadError(p, "not a recognised image (unknown or corrupt header)") from exc
        except MemoryError as exc:
            raise ImageLoadError(p, "not enough memory to decode") from exc
        except Exception as exc:  # decoders raise anything on bad data (SyntaxError, struct.error...)
            raise ImageLoadError(p, _decode_reason(exc)) from exc


def _decode_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "truncated" in text.lower():
        return f"truncated file ({text})"
    return f"corrupt image data ({text})"
