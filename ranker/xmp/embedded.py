"""XMP inside the photo itself (JPEG APP1, TIFF tag 700, HEIF item) and the EXIF star rating."""

from __future__ import annotations

import functools
import os
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from ranker.decisions import Decision
from ranker.xmp.paths import find_sidecar
from ranker.xmp.read import MAX_XMP_BYTES, XmpError, _decision_from, _parse, read_xmp

# How far into an arbitrary file we look for an embedded XMP packet.
EMBEDDED_SCAN_BYTES = 8 * 1024 * 1024
_JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_TIFF_XMP_TAG = 700
#: any packet's closing tag: most photos have none, and one search for both kinds halves their scan
_ANY_PACKET_END = re.compile(rb"</x:x(?:ap|mp)meta>")


def _jpeg_app1(f: BinaryIO) -> tuple[list[bytes], bool]:
    """A JPEG's APP1 payloads (XMP, EXIF) and whether the walk reached the image data: before it JPEG
    keeps every metadata segment, so then the list is the whole answer (a packet further on is not the
    photo's: an embedded preview's, say) and the rest of the file need not be read. False: a broken
    structure, whose answer is not final. The other segments are skipped, not read."""
    f.seek(2)
    payloads: list[bytes] = []
    while True:
        b = f.read(1)
        while b == b"\xff":
            b = f.read(1)
            if b != b"\xff":
                break
        if not b:
            return payloads, False
        marker = b[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker in (0xDA, 0xD9):  # image data starts: metadata segments are all before it
            return payloads, True
        raw_len = f.read(2)
        if len(raw_len) < 2:
            return payloads, False
        length = max(struct.unpack(">H", raw_len)[0] - 2, 0)
        if marker == 0xE1:
            payloads.append(f.read(length))
        else:
            f.seek(length, os.SEEK_CUR)


def _jpeg_xmp(f: BinaryIO) -> tuple[bytes | None, bool]:
    """(the APP1 XMP packet or None, whether that is final: _jpeg_app1's)."""
    payloads, final = _jpeg_app1(f)
    for payload in payloads:
        if payload.startswith(_JPEG_XMP_HEADER):
            return payload[len(_JPEG_XMP_HEADER) :], True
    return None, final


def _tiff_xmp(f: BinaryIO, order: str) -> bytes | None:
    value: bytes  # the entry's 4-byte value field ("4s")
    f.seek(4)
    (ifd,) = struct.unpack(order + "I", f.read(4))
    f.seek(ifd)
    (count,) = struct.unpack(order + "H", f.read(2))
    for _ in range(min(count, 4096)):
        entry = f.read(12)
        if len(entry) < 12:
            return None
        tag, typ, n, value = struct.unpack(order + "HHI4s", entry)
        if tag == _TIFF_XMP_TAG and typ in (1, 7) and n <= MAX_XMP_BYTES:
            if n <= 4:
                return value[:n]
            f.seek(struct.unpack(order + "I", value)[0])
            return f.read(n)
    return None


def _heif_xmp(f: BinaryIO) -> bytes | None:
    """HEIF/HEIC: the XMP item the meta box points at (mapped, not read whole), not the first packet
    in the file, which after an edit may be the old one."""
    import mmap

    from ranker.io.heif_xmp import read_xmp as heif_read_xmp

    try:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            packet = heif_read_xmp(data)  # type: ignore[arg-type]  # mmap slices like bytes
    except (OSError, ValueError):
        return None
    return packet if packet is not None and len(packet) <= MAX_XMP_BYTES else None


def _scan_packets(data: bytes) -> Iterator[bytes]:
    """Every <x:xmpmeta>/<x:xapmeta> packet in `data`, in order, in linear time.

    A file of unclosed openings once made this quadratic (each opening searched to the end for its
    closing tag: 8.4 MB took over two minutes). The next closing tag after an opening is the same for
    every opening before it, so each kind's is found once and reused; none left means none to find."""
    if _ANY_PACKET_END.search(data) is None:
        return
    kinds = [kind for kind in (b"ap", b"mp") if b"</x:x" + kind + b"meta>" in data]
    if not kinds:  # no packet can be complete: do not walk a flood of openings at all
        return
    next_end: dict[bytes, int | None] = {kind: None for kind in kinds}  # None: not searched yet
    for m in re.finditer(rb"<x:x(" + b"|".join(kinds) + rb")meta[\s>]", data):
        kind = m.group(1)
        end_tag = b"</x:x" + kind + b"meta>"
        end = next_end[kind]
        if end is None or (end != -1 and end < m.end()):
            end = data.find(end_tag, m.end())
            next_end[kind] = end
        if end == -1:
            if all(e == -1 for e in next_end.values()):
                return
            continue
        yield data[m.start() : end + len(end_tag)]


def _file_key(photo: Path) -> tuple[str, int, int]:
    """(path, size, mtime_ns): a file's identity for the caches below (raises OSError as open would)."""
    st = os.stat(photo)
    return os.fspath(photo), st.st_size, st.st_mtime_ns


def read_embedded_xmp(photo: Path) -> bytes | None:
    """The XMP packet inside `photo` (JPEG APP1, TIFF tag 700, else the first packet found near the start).
    Remembered per file state: a scan reads it when it imports sidecars and again when it syncs, and a
    file of another kind without a packet is searched whole (PhotoTriage never writes inside a photo)."""
    key = _file_key(photo)
    with _RECENT_LOCK:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    packet = _embedded_xmp(key[0])
    if packet is None or len(packet) <= _REMEMBERED_BYTES:  # a 32 MB packet is read again, not kept
        with _RECENT_LOCK:
            _recent[key] = packet
            while len(_recent) > _REMEMBERED_FILES:
                _recent.popitem(last=False)
    return packet


#: read_embedded_xmp's memory: the last files' packets (none, or at most _REMEMBERED_BYTES each)
_REMEMBERED_FILES = 256
_REMEMBERED_BYTES = 256 * 1024
_recent: OrderedDict[tuple[str, int, int], bytes | None] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _embedded_xmp(photo: str) -> bytes | None:
    with open(photo, "rb") as f:
        head = f.read(8)
        try:
            if head.startswith(b"\xff\xd8"):
                packet, final = _jpeg_xmp(f)
                if final:
                    return packet
            elif head[:4] in (b"II*\x00", b"MM\x00*"):
                packet = _tiff_xmp(f, "<" if head[:2] == b"II" else ">")
            elif head[4:8] == b"ftyp":
                packet = _heif_xmp(f)
            else:
                packet = None
        except struct.error:
            packet = None
        if packet is not None:
            return packet
        f.seek(0)
        data = f.read(EMBEDDED_SCAN_BYTES)
    for packet in _scan_packets(data):
        return packet
    return None


def read_decision(photo: Path) -> Decision | None:
    """The decision recorded for `photo`: its sidecar first, else XMP embedded in the file.

    None when nothing is recorded. Raises XmpError when the sidecar exists but is unparsable
    (an embedded packet that does not parse is ignored: we never write there).
    """
    photo = Path(photo)
    sidecar = find_sidecar(photo)
    if sidecar is not None:
        decision, _ = read_xmp(sidecar)
        if decision is not None:
            return decision
    if not photo.exists() and sidecar is not None:
        return None
    return decision_inside(photo, read_embedded_xmp(photo))


def decision_inside(photo: Path, packet: bytes | None) -> Decision | None:
    """The decision `photo` carries itself, given its embedded packet (read_embedded_xmp's, so a caller
    that hashes the packet reads the file once): the packet's, else the EXIF Rating; None when neither."""
    decision = _packet_decision(packet, photo)
    if decision is None:
        rating = exif_rating(photo)
        decision = Decision(None, rating, None) if rating else None
    return decision


def _packet_decision(packet: bytes | None, photo: Path) -> Decision | None:
    if packet is None:
        return None
    try:
        return _decision_from(_parse(packet, photo))
    except XmpError:
        return None


def embedded_decision(photo: Path) -> Decision | None:
    """The decision in the XMP packet inside `photo` alone (no sidecar, no EXIF); None when none parses."""
    return _packet_decision(read_embedded_xmp(photo), photo)


_EXIF_RATING_TAG = 0x4746  # Windows' star rating in IFD0 (cameras and Explorer write it)
_EXIF_HEADER = b"Exif\x00\x00"


def _ifd0_value(tiff: bytes, tag: int) -> int | None:
    """A SHORT/LONG value of `tag` in IFD0 of a TIFF structure held in memory (bounded: one IFD)."""
    if tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for i in range(min(count, 4096)):
            t, typ, _n, raw = struct.unpack_from(order + "HHI4s", tiff, ifd + 2 + 12 * i)
            if t == tag:
                if typ == 3:
                    return cast(int, struct.unpack(order + "H", raw[:2])[0])  # "H" unpacks one int
                if typ in (4, 9):
                    return cast(int, struct.unpack(order + ("I" if typ == 4 else "i"), raw)[0])  # one int
                return None
    except struct.error:
        return None
    return None


def exif_rating(photo: Path) -> int:
    """EXIF Rating (0x4746) of a JPEG or TIFF-based file, 0-5; 0 when absent or unreadable (remembered
    per file state, as read_embedded_xmp)."""
    try:
        key = _file_key(photo)
    except OSError:
        return 0
    return _exif_rating(*key)


@functools.lru_cache(maxsize=256)
def _exif_rating(photo: str, size: int, mtime_ns: int) -> int:
    try:
        with open(photo, "rb") as f:
            tiff = _exif_tiff(f, Path(photo).suffix.lower())
    except (OSError, struct.error):
        return 0
    value = None if tiff is None else _ifd0_value(tiff, _EXIF_RATING_TAG)
    return value if value is not None and 0 <= value <= 5 else 0


def _exif_tiff(f: BinaryIO, suffix: str) -> bytes | None:
    """The TIFF structure that holds a file's EXIF: a JPEG's EXIF APP1 segment (found by walking its
    segments; searched for in its head when the structure is broken), else the file's head itself
    (TIFF-based raws). None: a JPEG without EXIF."""
    if f.read(2) == b"\xff\xd8":
        payloads, final = _jpeg_app1(f)
        exif = next((p for p in payloads if p.startswith(_EXIF_HEADER)), None)
        if exif is not None or final:
            return None if exif is None else exif[len(_EXIF_HEADER) :]
    f.seek(0)
    head = f.read(EMBEDDED_SCAN_BYTES if suffix in (".jpg", ".jpeg") else 1024 * 1024)
    if not head.startswith(b"\xff\xd8"):
        return head
    at = head.find(b"\xff\xe1")
    while at != -1:
        (length,) = struct.unpack_from(">H", head, at + 2) if at + 4 <= len(head) else (0,)
        body = head[at + 4 : at + 2 + length]
        if body.startswith(_EXIF_HEADER):
            return body[len(_EXIF_HEADER) :]
        at = head.find(b"\xff\xe1", at + 2 + max(length, 2))
    return None
