"""PhotoMetadata and the EXIF fields it is read from: tag ids, value parsing, capture time, orientation."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from ranker.io.tiff_exif import find_tiff_headers, read_tiff_tags

# EXIF tag ids for the fields we read, by their EXIF name (exifread uses the same names).
TAG_IDS = {
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
EXIF_IFD = 0x8769

# Bracketing never exceeds a few EV; larger values are uninitialised junk some firmwares write.
_MAX_EXPOSURE_BIAS = 20.0

_DATETIME_RE = re.compile(r"\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"\s*([+-])(\d{2}):?(\d{2})\s*$")


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


#: Bytes of a RAW searched for its EXIF: IFD0 and the EXIF IFD sit in the first kilobytes of every
#: TIFF-based RAW, in CR3's first boxes and in a RAF's embedded JPEG header.
RAW_EXIF_SPAN = 1024 * 1024
_WANTED_TAGS = frozenset(TAG_IDS.values())


def tiff_exif_fields(data: bytes) -> Callable[[str], Any]:
    """EXIF fields by name, from the bounded TIFF reader (IFD0 + EXIF IFD, capped entries and sizes):
    a crafted IFD loop costs microseconds, where following every pointer ran for minutes."""
    head = data[:RAW_EXIF_SPAN]
    tags: dict[int, Any] = {}
    for start in find_tiff_headers(head):
        for tag, value in read_tiff_tags(head, start, _WANTED_TAGS).items():
            tags.setdefault(tag, value)

    def get(name: str) -> Any:
        return tags.get(TAG_IDS[name])

    return get


def metadata_from_exif(get: Callable[[str], Any], orientation: int, size: tuple[int, int]) -> PhotoMetadata:
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


def first_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = first_value(value) if not isinstance(value, (str, bytes)) else value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    # Fixed-size EXIF fields are NUL-padded, sometimes with junk after the first NUL.
    value = value.split("\x00", 1)[0].strip()
    return value or None


def _number(value: Any) -> float | None:
    value = first_value(value)
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        if getattr(value, "denominator", 1) == 0:  # x/0 rationals
            return None
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None  # Pillow turns x/0 into nan


def exif_orientation(value: Any) -> int:
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
