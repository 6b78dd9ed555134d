"""XMP embedded in exported JPEG, TIFF and DNG copies (Lightroom reads no sidecar for them); originals never."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
#: a JPEG segment holds at most 65,533 payload bytes; the standard packet must fit in one
MAX_PACKET = 65533 - len(_XMP_HEADER)
EMBED_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".dng")
_TIFF_XMP_TAG = 700


class EmbedError(ValueError):
    """The copy cannot carry the XMP (not a JPEG we can parse, or a packet too large); it stays a plain copy."""


def can_embed(path: Path) -> bool:
    return Path(path).suffix.lower() in EMBED_SUFFIXES


def _segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(marker, start, end) of every segment before the image data, and where the image data starts."""
    if not data.startswith(b"\xff\xd8"):
        raise EmbedError("not a JPEG (no SOI marker)")
    pos = 2
    out: list[tuple[int, int, int]] = []
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
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        raise EmbedError("a TIFF copy is compared with same_image, not by removing its XMP")
    segments, _ = _segments(data)
    out, pos = [], 0
    for marker, start, end in segments:
        if _is_xmp(data, marker, start):
            out.append(data[pos:start])
            pos = end
    out.append(data[pos:])
    return b"".join(out)


def _ifd0(data: bytes) -> tuple[str, int, list[tuple[int, bytes]]]:
    """(byte order, IFD0 offset, [(tag, 12-byte entry)]) of a classic TIFF (DNG is one); bounded reads."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        raise EmbedError("not a classic TIFF (BigTIFF and other containers are left as plain copies)")
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, offset)
        if count > 4096 or offset + 2 + 12 * count + 4 > len(data):
            raise EmbedError("damaged TIFF: IFD0 runs past the end of the file")
        entries = [
            (
                struct.unpack_from(order + "H", data, offset + 2 + 12 * i)[0],
                data[offset + 2 + 12 * i : offset + 14 + 12 * i],
            )
            for i in range(count)
        ]
    except struct.error as exc:
        raise EmbedError(f"damaged TIFF header ({exc})") from None
    return order, offset, entries


def _tiff_with_xmp(data: bytes, packet: bytes) -> bytes:
    """The packet appended at the end; IFD0 points at it: its XMP entry patched in place, or IFD0
    rewritten after the packet with the entry added and the header pointing there. Nothing moves."""
    order, offset, entries = _ifd0(data)
    body = data + b"\0" * (len(data) % 2)  # TIFF offsets are word-aligned
    where = len(body)
    body += packet + b"\0" * (len(packet) % 2)
    entry = struct.pack(order + "HHII", _TIFF_XMP_TAG, 1, len(packet), where)
    for i, (tag, _) in enumerate(entries):
        if tag == _TIFF_XMP_TAG:
            at = offset + 2 + 12 * i
            return body[:at] + entry + body[at + 12 :]
    (next_ifd,) = struct.unpack_from(order + "I", data, offset + 2 + 12 * len(entries))
    new = sorted([*entries, (_TIFF_XMP_TAG, entry)], key=lambda e: e[0])
    ifd_at = len(body)
    body += struct.pack(order + "H", len(new)) + b"".join(e for _, e in new) + struct.pack(order + "I", next_ifd)
    return body[:4] + struct.pack(order + "I", ifd_at) + body[8:]


def _tiff_same(original: bytes, copy: bytes) -> bool:
    """The copy holds the original's bytes (apart from the IFD0 pointer or XMP entry it patched) and the
    same IFD0 entries but for the XMP one."""
    try:
        order, offset, entries = _ifd0(original)
        _, new_offset, new_entries = _ifd0(copy)
    except EmbedError:
        return False
    keep = [e for e in entries if e[0] != _TIFF_XMP_TAG]
    if keep != [e for e in new_entries if e[0] != _TIFF_XMP_TAG] or len(copy) < len(original):
        return False
    patched = (
        [(4, 8)]
        if new_offset != offset
        else [(offset + 2 + 12 * i, offset + 14 + 12 * i) for i, (tag, _) in enumerate(entries) if tag == _TIFF_XMP_TAG]
    )
    pos = 0
    for start, end in sorted(patched):
        if original[pos:start] != copy[pos:start]:
            return False
        pos = end
    return original[pos:] == copy[pos : len(original)]


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """The JPEG (or TIFF/DNG) carrying `packet` as its XMP: an existing packet is replaced in place, else a new APP1
    goes after the JFIF/EXIF segments (where readers expect it). Image data is untouched."""
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_with_xmp(data, packet)
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
            body = body[: s + shift] + body[e + shift :]
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
    if original[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_same(original, copy)
    try:
        return hashlib.sha256(without_xmp(original)).digest() == hashlib.sha256(without_xmp(copy)).digest()
    except EmbedError:
        return False
