"""XMP in HEIF/HEIC (ISOBMFF) files: read it, and give a copy its XMP as a 'mime' item without re-encoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEIF_SUFFIXES = (".heic", ".heif", ".hif", ".avif")
XMP_CONTENT_TYPE = b"application/rdf+xml"
_MAX_BOXES = 4096  # a photo has a handful of top-level boxes and a few dozen in its meta


class HeifError(ValueError):
    """Not an ISOBMFF image we can safely edit (a sequence, a damaged box, an offset we cannot follow)."""


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int  # the box's first byte
    body: int  # first byte after the header (and, for a full box, not including version/flags)
    end: int


def _boxes(data: bytes, start: int, end: int) -> list[_Box]:
    out: list[_Box] = []
    pos = start
    while pos < end:
        if len(out) >= _MAX_BOXES or pos + 8 > end:
            raise HeifError(f"damaged box structure at byte {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise HeifError(f"damaged box at byte {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise HeifError(f"box {kind!r} at byte {pos} runs past its parent")
        out.append(_Box(kind, pos, pos + header, pos + size))
        pos += size
    return out


def _child(data: bytes, parent: _Box, kind: bytes, full: bool = False) -> _Box | None:
    start = parent.body + (4 if full else 0)
    return next((b for b in _boxes(data, start, parent.end) if b.kind == kind), None)


def _cstring(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    stop = data.find(b"\0", pos, end)
    if stop < 0:
        return data[pos:end], end
    return data[pos:stop], stop + 1


def _uint(data: bytes, pos: int, size: int) -> int:
    if size == 0:
        return 0
    if size not in (4, 8):
        raise HeifError(f"an iloc field of {size} bytes")
    return int(struct.unpack_from(">I" if size == 4 else ">Q", data, pos)[0])


@dataclass
class _Item:
    item_id: int
    method: int
    reference: int
    base: int
    extents: list[tuple[int, int, int]]  # (index, offset, length)


@dataclass
class _Meta:
    box: _Box
    iloc: _Box
    iinf: _Box
    iref: _Box | None
    primary: int
    types: dict[int, tuple[bytes, bytes]]  # item id -> (type, content type)
    items: list[_Item]
    iloc_version: int
    index_size: int
    field_sizes: tuple[int, int, int]  # offset, length, base offset: kept where the values fit (exiv2 needs 4)

    def xmp_item(self) -> int | None:
        return next((i for i, (t, ct) in self.types.items() if t == b"mime" and ct == XMP_CONTENT_TYPE), None)


def _parse(data: bytes) -> tuple[list[_Box], _Meta]:
    top = _boxes(data, 0, len(data))
    if not top or top[0].kind != b"ftyp":
        raise HeifError("not an ISOBMFF file (no ftyp box first)")
    if any(b.kind == b"moov" for b in top):
        raise HeifError("an image sequence (moov box): left as a plain copy")
    metas = [b for b in top if b.kind == b"meta"]
    if len(metas) != 1:
        raise HeifError("no single meta box")
    meta = metas[0]
    iloc, iinf = _child(data, meta, b"iloc", True), _child(data, meta, b"iinf", True)
    pitm = _child(data, meta, b"pitm", True)
    if iloc is None or iinf is None or pitm is None:
        raise HeifError("no iloc, iinf or pitm box")
    try:
        primary = struct.unpack_from(">H" if data[pitm.body] == 0 else ">I", data, pitm.body + 4)[0]
        types = _item_types(data, iinf)
        version, index_size, sizes, items = _items(data, iloc)
    except struct.error as exc:
        raise HeifError(f"damaged meta box ({exc})") from None
    iref = _child(data, meta, b"iref", True)
    return top, _Meta(meta, iloc, iinf, iref, primary, types, items, version, index_size, sizes)


def _item_types(data: bytes, iinf: _Box) -> dict[int, tuple[bytes, bytes]]:
    version = data[iinf.body]
    count_size = 2 if version == 0 else 4
    out = {}
    for infe in _boxes(data, iinf.body + 4 + count_size, iinf.end):
        if infe.kind != b"infe":
            continue
        v = data[infe.body]
        if v < 2:
            raise HeifError("an item info entry older than version 2")
        pos = infe.body + 4
        item_id = struct.unpack_from(">H" if v == 2 else ">I", data, pos)[0]
        pos += 2 if v == 2 else 4
        pos += 2  # protection index
        kind = data[pos : pos + 4]
        _name, pos = _cstring(data, pos + 4, infe.end)
        content_type = _cstring(data, pos, infe.end)[0] if kind == b"mime" else b""
        out[item_id] = (kind, content_type)
    return out


def _items(data: bytes, iloc: _Box) -> tuple[int, int, tuple[int, int, int], list[_Item]]:
    version = data[iloc.body]
    pos = iloc.body + 4
    sizes = data[pos] << 8 | data[pos + 1]
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version in (1, 2) else 0
    pos += 2
    count = struct.unpack_from(">H" if version < 2 else ">I", data, pos)[0]
    pos += 2 if version < 2 else 4
    items = []
    for _ in range(count):
        item_id = struct.unpack_from(">H" if version < 2 else ">I", data, pos)[0]
        pos += 2 if version < 2 else 4
        method = 0
        if version in (1, 2):
            method = struct.unpack_from(">H", data, pos)[0] & 15
            pos += 2
        (reference,) = struct.unpack_from(">H", data, pos)
        base = _uint(data, pos + 2, base_size)
        pos += 2 + base_size
        (extent_count,) = struct.unpack_from(">H", data, pos)
        pos += 2
        extents = []
        for _ in range(extent_count):
            index = _uint(data, pos, index_size)
            pos += index_size
            offset = _uint(data, pos, offset_size)
            length = _uint(data, pos + offset_size, length_size)
            pos += offset_size + length_size
            extents.append((index, offset, length))
        items.append(_Item(item_id, method, reference, base, extents))
    if pos > iloc.end:
        raise HeifError("iloc runs past its box")
    return version, index_size, (offset_size, length_size, base_size), items


def _item_bytes(data: bytes, item: _Item) -> bytes:
    if item.method != 0 or item.reference != 0:
        return b""  # inside idat or another item: compared as part of the meta box
    parts = []
    for _index, offset, length in item.extents:
        at = item.base + offset
        if length == 0 or at + length > len(data):
            raise HeifError(f"item {item.item_id} lies outside the file")
        parts.append(data[at : at + length])
    return b"".join(parts)


def read_xmp(data: bytes) -> bytes | None:
    """The XMP packet of a HEIF file (its 'mime' item of type application/rdf+xml), or None."""
    try:
        _, meta = _parse(data)
        item_id = meta.xmp_item()
        item = next((i for i in meta.items if i.item_id == item_id), None)
        return _item_bytes(data, item) or None if item is not None else None
    except (HeifError, struct.error, IndexError):
        return None


def _box(kind: bytes, payload: bytes, full: bytes | None = None) -> bytes:
    body = (full or b"") + payload
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _field(value: int, size: int) -> bytes:
    return b"" if size == 0 else struct.pack(">I" if size == 4 else ">Q", value)


def _iloc(meta: _Meta, items: list[_Item]) -> bytes:
    version = meta.iloc_version
    index_size = meta.index_size

    def size_for(values: list[int], original: int) -> int:
        need = 8 if any(v >= 1 << 32 for v in values) else 4 if any(values) else 0
        return max(original, need)

    offset_size = size_for([o for i in items for _, o, _ in i.extents], meta.field_sizes[0])
    length_size = size_for([n for i in items for _, _, n in i.extents], meta.field_sizes[1])
    base_size = size_for([i.base for i in items], meta.field_sizes[2])
    sizes = offset_size << 12 | length_size << 8 | base_size << 4 | index_size
    out = bytes([version, 0, 0, 0]) + struct.pack(">H", sizes)
    out += struct.pack(">H" if version < 2 else ">I", len(items))
    for item in items:
        out += struct.pack(">H" if version < 2 else ">I", item.item_id)
        if version in (1, 2):
            out += struct.pack(">H", item.method)
        out += struct.pack(">H", item.reference) + _field(item.base, base_size) + struct.pack(">H", len(item.extents))
        for index, offset, length in item.extents:
            out += _field(index, index_size) + _field(offset, offset_size) + _field(length, length_size)
    return struct.pack(">I4s", 8 + len(out), b"iloc") + out


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """`data` (a HEIF file) with `packet` as its XMP item: the packet is appended in an mdat box of its
    own, the meta box gains (or repoints) the item, and every file offset after the meta box moves by
    what the meta box grew. No image byte is decoded or changed."""
    top, meta = _parse(data)
    if meta.box.start != meta.box.body - 8:
        raise HeifError("a meta box with a 64-bit size")
    last = top[-1]
    old_xmp = next((i for i in meta.items if i.item_id == meta.xmp_item()), None)
    if (
        old_xmp is not None
        and last.kind == b"mdat"
        and last.start > meta.box.end
        and old_xmp.method == 0
        and old_xmp.reference == 0
        and [(old_xmp.base + o, n) for _, o, n in old_xmp.extents] == [(last.body, last.end - last.body)]
    ):
        # The file ends in an mdat holding nothing but the old XMP (ours, from an earlier export):
        # replace it rather than leave it behind, so re-exports do not grow the file.
        data = data[: last.start]
        top = top[:-1]
        last = top[-1]
    tail = data
    if struct.unpack_from(">I", data, last.start)[0] == 0:  # "to the end of the file": give it its size
        if last.end - last.start >= 1 << 32:
            raise HeifError("a last box over 4 GB without its size")
        tail = data[: last.start] + struct.pack(">I", last.end - last.start) + data[last.start + 4 :]
    meta_end = meta.box.end
    items = [
        _Item(i.item_id, i.method, i.reference, i.base, list(i.extents))
        for i in meta.items
        if i.item_id != meta.xmp_item()
    ]
    for item in items:
        if item.method != 0 or item.reference != 0:
            continue
        for _index, offset, length in item.extents:
            at = item.base + offset
            if meta.box.start <= at < meta_end or length == 0:
                raise HeifError(f"item {item.item_id} has data we cannot follow")
    xmp_id = meta.xmp_item() or max([*meta.types, *(i.item_id for i in meta.items), 0]) + 1
    if xmp_id > 0xFFFF and (meta.iloc_version < 2 or data[meta.iinf.body] == 0):
        raise HeifError("too many items for this file's item tables")

    def build(xmp_offset: int) -> bytes:
        moved = []
        for item in items:
            if item.method == 0 and item.reference == 0:
                if item.base >= meta_end:
                    item = _Item(item.item_id, 0, 0, item.base + delta[0], item.extents)
                else:
                    shifted = [(ix, o + delta[0] if item.base + o >= meta_end else o, n) for ix, o, n in item.extents]
                    item = _Item(item.item_id, 0, 0, item.base, shifted)
            moved.append(item)
        # Its position as the base offset, as libheif writes it: exiv2 0.27 reads only that one.
        moved.append(_Item(xmp_id, 0, 0, xmp_offset, [(0, 0, len(packet))]))
        children = []
        for child in _boxes(data, meta.box.body + 4, meta_end):
            raw = data[child.start : child.end]
            if child.kind == b"iloc":
                raw = _iloc(meta, moved)
            elif child.kind == b"iinf" and meta.xmp_item() is None:
                raw = _iinf_with(data, meta.iinf, xmp_id)
            elif child.kind == b"iref":
                raw = _iref_with(data, child, xmp_id, meta.primary)
            children.append(raw)
        if meta.iref is None:
            children.append(_iref_with(data, None, xmp_id, meta.primary))
        return _box(b"meta", b"".join(children), data[meta.box.body : meta.box.body + 4])

    delta = [0]
    new_meta = build(0)
    delta[0] = len(new_meta) - (meta_end - meta.box.start)
    xmp_at = len(tail) + delta[0] + 8
    new_meta = build(xmp_at)
    return tail[: meta.box.start] + new_meta + tail[meta_end:] + _box(b"mdat", packet)


def _iinf_with(data: bytes, iinf: _Box, xmp_id: int) -> bytes:
    version = data[iinf.body]
    count_size = 2 if version == 0 else 4
    count = struct.unpack_from(">H" if version == 0 else ">I", data, iinf.body + 4)[0]
    infe_version = 2 if xmp_id <= 0xFFFF else 3
    infe = _box(
        b"infe",
        struct.pack(">H" if infe_version == 2 else ">I", xmp_id)
        + struct.pack(">H", 0)
        + b"mime"
        + b"XMP\0"
        + XMP_CONTENT_TYPE
        + b"\0",
        bytes([infe_version, 0, 0, 0]),
    )
    head = data[iinf.body : iinf.body + 4] + struct.pack(">H" if version == 0 else ">I", count + 1)
    return _box(b"iinf", data[iinf.body + 4 + count_size : iinf.end] + infe, head)


def _iref_with(data: bytes, iref: _Box | None, xmp_id: int, primary: int) -> bytes:
    """iref with a 'cdsc' (content describes) reference from the XMP item to the primary image."""
    version = data[iref.body] if iref is not None else (0 if max(xmp_id, primary) <= 0xFFFF else 1)
    fmt = ">H" if version == 0 else ">I"
    refs = b""
    if iref is not None:
        for ref in _boxes(data, iref.body + 4, iref.end):
            from_id = struct.unpack_from(fmt, data, ref.body)[0]
            if ref.kind == b"cdsc" and from_id == xmp_id:
                continue  # the XMP item's old reference: written anew below
            refs += data[ref.start : ref.end]
    if version == 0 and max(xmp_id, primary) > 0xFFFF:
        raise HeifError("item ids over 16 bits in a version 0 iref")
    refs += _box(b"cdsc", struct.pack(fmt, xmp_id) + struct.pack(">H", 1) + struct.pack(fmt, primary))
    return _box(b"iref", refs, bytes([version, 0, 0, 0]))


def same_image(original: bytes, copy: bytes) -> bool:
    """The copy holds every item of the original but the XMP one byte for byte (the coded image, its
    thumbnails, Exif), the same item properties, and the same top-level boxes but the meta box and
    the XMP's own mdat: nothing was re-encoded."""
    try:
        top_a, meta_a = _parse(original)
        top_b, meta_b = _parse(copy)
    except (HeifError, struct.error, IndexError):
        return False
    xmp_a, xmp_b = meta_a.xmp_item(), meta_b.xmp_item()
    a = {i.item_id: i for i in meta_a.items if i.item_id != xmp_a}
    b = {i.item_id: i for i in meta_b.items if i.item_id != xmp_b}
    if set(a) != set(b) or meta_a.primary != meta_b.primary:
        return False
    if {k: v for k, v in meta_a.types.items() if k != xmp_a} != {k: v for k, v in meta_b.types.items() if k != xmp_b}:
        return False
    try:
        if any(_item_bytes(original, a[k]) != _item_bytes(copy, b[k]) for k in a):
            return False
    except HeifError:
        return False
    for kind in (b"iprp", b"idat", b"pitm", b"hdlr"):
        box_a, box_b = _child(original, meta_a.box, kind, True), _child(copy, meta_b.box, kind, True)
        if (box_a is None) != (box_b is None):
            return False
        if (
            box_a is not None
            and box_b is not None
            and original[box_a.start : box_a.end] != copy[box_b.start : box_b.end]
        ):
            return False
    kinds_a = [b.kind for b in top_a]
    kinds_b = [b.kind for b in top_b]
    return kinds_b[: len(kinds_a)] == kinds_a and kinds_b[len(kinds_a) :] in ([], [b"mdat"])
