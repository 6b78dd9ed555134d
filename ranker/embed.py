"""XMP embedded in exported JPEG copies (Lightroom reads a JPEG's own XMP, never a sidecar); originals never."""
from __future__ import annotations

import hashlib
import struct
from pathlib import Path

_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
#: a JPEG segment holds at most 65,533 payload bytes; the standard packet must fit in one
MAX_PACKET = 65533 - len(_XMP_HEADER)
EMBED_SUFFIXES = (".jpg", ".jpeg", ".jpe")


class EmbedError(ValueError):
    """The copy cannot carry the XMP (not a JPEG we can parse, or a packet too large); it stays a plain copy."""


def can_embed(path: Path) -> bool:
    return Path(path).suffix.lower() in EMBED_SUFFIXES


def _segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(marker, start, end) of every segment before the image data, and where the image data starts."""
    if not data.startswith(b"\xff\xd8"):
        raise EmbedError("not a JPEG (no SOI marker)")
    pos, out = 2, []
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise EmbedError(f"damaged JPEG header at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: metadata is all before it
            return out, pos
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise EmbedError(f"damaged JPEG segment at byte {pos}")
        out.append((marker, pos, end))
        pos = end


def _is_xmp(data: bytes, marker: int, start: int) -> bool:
    return marker == 0xE1 and data.startswith(_XMP_HEADER, start + 4)


def without_xmp(data: bytes) -> bytes:
    """The JPEG with its standard XMP segment removed: what must be identical between original and copy."""
    segments, _ = _segments(data)
    out, pos = [], 0
    for marker, start, end in segments:
        if _is_xmp(data, marker, start):
            out.append(data[pos:start])
            pos = end
    out.append(data[pos:])
    return b"".join(out)


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """The JPEG carrying `packet` as its XMP: an existing packet is replaced in place, else a new APP1
    goes after the JFIF/EXIF segments (where readers expect it). Image data is untouched."""
    if len(packet) > MAX_PACKET:
        raise EmbedError(f"the XMP packet is {len(packet)} bytes, more than one JPEG segment holds")
    segments, _ = _segments(data)
    segment = b"\xff\xe1" + struct.pack(">H", len(packet) + len(_XMP_HEADER) + 2) + _XMP_HEADER + packet
    xmp = [(s, e) for m, s, e in segments if _is_xmp(data, m, s)]
    if xmp:
        (start, end), rest = xmp[0], xmp[1:]
        body = data[:start] + segment + data[end:]
        for s, e in reversed(rest):  # a second standard packet would contradict the first
            shift = len(segment) - (end - start)
            body = body[:s + shift] + body[e + shift:]
        return body
    at = 2
    for marker, start, end in segments:
        if marker == 0xE0 or (marker == 0xE1 and data.startswith(b"Exif\x00\x00", start + 4)):
            at = end
        else:
            break
    return data[:at] + segment + data[at:]


def same_image(original: bytes, copy: bytes) -> bool:
    """The copy is the original byte for byte apart from its XMP segment (verification of a rewritten copy)."""
    try:
        return hashlib.sha256(without_xmp(original)).digest() == hashlib.sha256(without_xmp(copy)).digest()
    except EmbedError:
        return False
