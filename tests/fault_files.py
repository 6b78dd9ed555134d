"""Hostile files for the fault suite and the fuzz benchmark: metadata bombs, floods and odd file types."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

from tests.synthetic_files import textured_image

#: Tags that EXIF readers follow as pointers to further IFDs (EXIF, GPS, interoperability, SubIFDs).
_POINTER_TAGS = (0x8769, 0x8825, 0xA005, 0x014A)


def ifd_loop_raw(path: Path, entries: int = 65535) -> Path:
    """A TIFF-structured RAW (.CR2/.DNG) whose two IFDs hold `entries` pointer entries each, all
    pointing at each other, and whose next-IFD links form a cycle: a reader that follows pointers
    without bounds never ends (exifread: 3.5 KB took 5 s, 8 KB 73 s)."""
    entries = min(entries, 65535)
    size = 2 + 12 * entries + 4
    first, second = 8, 8 + size

    def ifd(other: int) -> bytes:
        body = struct.pack("<H", entries)
        for index in range(entries):
            tag = _POINTER_TAGS[index % len(_POINTER_TAGS)] if index < 64 else 0x8000 + index % 0x7000
            body += struct.pack("<HHII", tag, 4, 1, other)
        return body + struct.pack("<I", other)

    Path(path).write_bytes(b"II*\x00" + struct.pack("<I", first) + ifd(second) + ifd(first))
    return Path(path)


def jpeg_bytes(seed: int = 0, size: tuple[int, int] = (96, 64)) -> bytes:
    buf = io.BytesIO()
    textured_image(size, seed=seed).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def xmp_flood(path: Path, megabytes: float = 8.4, seed: int = 0) -> Path:
    """A valid JPEG followed by `<x:xmpmeta>` repeated and never closed (a naive scan is quadratic)."""
    opening = b"<x:xmpmeta>"
    Path(path).write_bytes(jpeg_bytes(seed) + opening * int(megabytes * 1e6 / len(opening)))
    return Path(path)


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return Path(path)


def surrogate_name(folder: Path, stem: bytes = b"caf\xe9", seed: int = 0) -> Path:
    """A JPEG whose name is not UTF-8 (Latin-1 bytes from another OS): Python sees surrogates."""
    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + stem + b".jpg"))
    path.write_bytes(jpeg_bytes(seed))
    return path


def damaged_jpeg(path: Path, seed: int = 0, size: tuple[int, int] = (512, 384)) -> Path:
    """A JPEG cut after 40% of its scan: Pillow fills the rest grey (the 'grey rows' a viewer shows)."""
    buf = io.BytesIO()
    textured_image(size, seed=seed).save(buf, "JPEG", quality=92)
    data = buf.getvalue()
    Path(path).write_bytes(data[: int(len(data) * 0.4)])
    return Path(path)


def header_claims_bigger(path: Path, claimed: tuple[int, int] = (9000, 9000), seed: int = 0) -> Path:
    """A JPEG whose SOF header claims `claimed` pixels over the data of a small image."""
    data = bytearray(jpeg_bytes(seed, (1296, 864)))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, claimed[1], claimed[0])
    Path(path).write_bytes(bytes(data))
    return Path(path)


def huge_sidecar(path: Path, megabytes: float = 50.0, rating: int = 4) -> Path:
    """A well-formed XMP sidecar (xmp:Rating `rating`) padded with a darktable history of `megabytes`:
    each history entry once became a parse node (50 MB: 47 s and 1.5 GB per parse)."""
    head = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f'    xmlns:darktable="http://darktable.sf.net/" xmp:Rating="{rating}">\n'
        "   <darktable:history>\n    <rdf:Seq>\n"
    ).encode()
    tail = b"    </rdf:Seq>\n   </darktable:history>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
    tail += b'<?xpacket end="w"?>\n'
    entry = b'     <rdf:li darktable:operation="exposure" darktable:enabled="1" darktable:params="0000803f"/>\n'
    count = max(int((megabytes * 1e6 - len(head) - len(tail)) / len(entry)), 0)
    with open(path, "wb") as f:
        f.write(head)
        for _ in range(count // 4096):
            f.write(entry * 4096)
        f.write(entry * (count % 4096))
        f.write(tail)
    return Path(path)
