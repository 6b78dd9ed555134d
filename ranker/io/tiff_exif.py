"""A bounded reader for the few EXIF tags we need from TIFF-structured data (RAW files, CR3 boxes, JPEG APP1).

General EXIF libraries follow every IFD pointer and next-IFD link; a crafted file with 65,535
entries pointing at each other keeps them busy for minutes. This reader visits IFD0 and its EXIF
sub-IFD only, refuses IFDs with implausibly many entries, reads only the tags it is asked for with
capped value sizes, and never revisits an offset, so its work is bounded by a few kilobytes.
"""

from __future__ import annotations

import struct
from fractions import Fraction
from typing import Any

#: Real IFDs hold a few hundred entries at most (a Canon IFD0 about 20, a DNG IFD0 under 100).
MAX_ENTRIES = 1024
#: ASCII fields we read (make, model, lens, dates) are short; longer values are truncated.
MAX_TEXT = 256
#: Numeric fields we read have a handful of values.
MAX_VALUES = 8
#: TIFF headers searched in non-TIFF containers (CR3 keeps IFD0 and the EXIF IFD in two boxes).
MAX_HEADERS = 4

EXIF_POINTER = 0x8769
_TYPES = {
    1: ("B", 1),
    2: ("s", 1),
    3: ("H", 2),
    4: ("I", 4),
    5: ("II", 8),
    7: ("B", 1),
    8: ("h", 2),
    9: ("i", 4),
    10: ("ii", 8),
    11: ("f", 4),
    12: ("d", 8),
}


def read_tiff_tags(data: bytes, start: int, wanted: frozenset[int]) -> dict[int, Any]:
    """{tag id: value} for the wanted tags of IFD0 and the EXIF sub-IFD of the TIFF at `start`.

    Values are str for ASCII, else a list of int / Fraction / float. Garbage yields fewer tags,
    never an exception and never more than two IFDs of work."""
    tags: dict[int, Any] = {}
    order = {b"II": "<", b"MM": ">"}.get(data[start : start + 2])
    if order is None or len(data) < start + 8:
        return tags
    (ifd,) = struct.unpack_from(order + "I", data, start + 4)
    visited: set[int] = set()
    exif = _read_ifd(data, start, order, ifd, wanted | {EXIF_POINTER}, tags, visited)
    if isinstance(exif, list) and exif and isinstance(exif[0], int):
        _read_ifd(data, start, order, exif[0], wanted, tags, visited)
    tags.pop(EXIF_POINTER, None)
    return tags


def _read_ifd(
    data: bytes, base: int, order: str, offset: int, wanted: frozenset[int], tags: dict[int, Any], visited: set[int]
) -> Any:
    where = base + offset
    if offset in visited or where + 2 > len(data):
        return None
    visited.add(offset)
    (count,) = struct.unpack_from(order + "H", data, where)
    if count > MAX_ENTRIES or where + 2 + 12 * count > len(data):
        return None
    for index in range(count):
        tag, kind, n = struct.unpack_from(order + "HHI", data, where + 2 + 12 * index)
        if tag not in wanted or tag in tags or kind not in _TYPES:
            continue
        value = _value(data, base, order, where + 2 + 12 * index + 8, kind, n)
        if value is not None:
            tags[tag] = value
    return tags.get(EXIF_POINTER)


def _value(data: bytes, base: int, order: str, field: int, kind: int, n: int) -> Any:
    fmt, size = _TYPES[kind]
    length = size * n
    if kind == 2:
        n = min(n, MAX_TEXT)
    elif n > MAX_VALUES or n == 0:
        return None
    at = field if length <= 4 else base + struct.unpack_from(order + "I", data, field)[0]
    span = size * n
    if at < 0 or at + span > len(data):
        return None
    if kind == 2:
        return data[at : at + span].split(b"\x00", 1)[0].decode("latin-1").strip()
    values = list(struct.unpack_from(order + fmt * n, data, at))
    if kind in (5, 10):
        pairs = zip(values[::2], values[1::2])
        return [Fraction(a, b) if b else float("nan") for a, b in pairs]
    return values


def find_tiff_headers(data: bytes, limit: int = MAX_HEADERS) -> list[int]:
    """Offsets of up to `limit` TIFF headers: at 0 for TIFF files, else inside the first bytes of a
    container (CR3's CMT boxes, a RAF's embedded JPEG)."""
    if data[:4] in (b"II*\x00", b"MM\x00*", b"IIRO", b"IIU\x00"):  # TIFF, Olympus ORF, Panasonic RW2
        return [0]
    found: list[int] = []
    pos = 0
    while len(found) < limit:
        hits = [i for i in (data.find(b"II*\x00", pos), data.find(b"MM\x00*", pos)) if i != -1]
        if not hits:
            break
        found.append(min(hits))
        pos = min(hits) + 4
    return found


#: IFDs followed along the next-IFD chain when checking where a RAW's image data ends (CR2 has 4).
MAX_CHAIN = 8
_STRIP_OFFSETS, _STRIP_COUNTS, _SUB_IFDS = 0x111, 0x117, 0x14A
_MAX_STRIPS = 4096


def raw_damage(data: bytes, file_size: int) -> str:
    """Why a TIFF-structured RAW's own image data cannot be whole ('' when it looks whole or cannot
    be told): strips that end past the end of the file (a truncated copy) or a broken IFD chain.
    `data` is the file's head; IFDs beyond it are not checked."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        return ""
    (first,) = struct.unpack_from(order + "I", data, 4)
    pending, end = [first], 0
    seen: set[int] = set()
    while pending and len(seen) < MAX_CHAIN:  # the next-IFD chain and SubIFDs (DNG keeps its raw there)
        offset = pending.pop(0)
        if offset == 0 or offset in seen:
            continue
        if offset + 2 > len(data):
            if offset >= file_size:
                return "its IFD chain is broken"
            continue  # beyond the head we read: cannot tell
        seen.add(offset)
        (count,) = struct.unpack_from(order + "H", data, offset)
        if count == 0 or count > MAX_ENTRIES or offset + 2 + 12 * count + 4 > len(data):
            return "its IFD chain is broken"
        values = {}
        for index in range(count):
            tag, kind, n = struct.unpack_from(order + "HHI", data, offset + 2 + 12 * index)
            if tag in (_STRIP_OFFSETS, _STRIP_COUNTS, _SUB_IFDS) and kind in (3, 4, 13) and 0 < n <= _MAX_STRIPS:
                fmt, size = _TYPES[4 if kind == 13 else kind]
                field = offset + 2 + 12 * index + 8
                at = field if size * n <= 4 else struct.unpack_from(order + "I", data, field)[0]
                if at + size * n <= len(data):
                    values[tag] = struct.unpack_from(order + fmt * n, data, at)
        if _STRIP_OFFSETS in values and _STRIP_COUNTS in values:
            end = max(end, *(o + c for o, c in zip(values[_STRIP_OFFSETS], values[_STRIP_COUNTS])))
        pending.extend(values.get(_SUB_IFDS, ())[:MAX_CHAIN])
        pending.append(struct.unpack_from(order + "I", data, offset + 2 + 12 * count)[0])
    if end > file_size:
        return f"truncated: its image data ends at byte {end:,}, the file at {file_size:,}"
    return ""
