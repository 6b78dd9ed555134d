"""Culling decisions in XMP: read every tool's convention, merge-write sidecars without losing foreign fields."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import struct
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NoReturn, cast

from ranker.decisions import Decision
from ranker.errors import UsageError
from ranker.files import atomic_write_bytes
from ranker.xmp_style import (
    COLORLABELS,
    DIGIKAM_COLOR,
    DIGIKAM_COLOR_NUMBER,
    LABEL,
    LABELS,
    MS_PERCENT,
    MS_RATING,
    NS_DARKTABLE,
    NS_DIGIKAM,
    NS_MSPHOTO,
    NS_PHOTOMECHANIC,
    NS_PHOTOTRIAGE,
    NS_RDF,
    NS_XMP,
    OUR_COLOR,
    OUR_FLAG,
    OUR_PICK_AS,
    OUR_STARS,
    PICK_LABEL,
    PM_COLOR,
    PM_COLOR_NUMBER,
    PM_PREFS,
    PM_TAGGED,
    RATING,
    SIDECAR_STYLES,
    Props,
    XmpStyle,
    as_style,
    decision_from_props,
    express,
    label_name,
)

# Prefixes we declare when we have to introduce a namespace ourselves.
_PREFERRED_PREFIX = {
    NS_RDF: "rdf",
    NS_XMP: "xmp",
    NS_DIGIKAM: "digiKam",
    NS_DARKTABLE: "darktable",
    NS_PHOTOMECHANIC: "photomechanic",
    NS_MSPHOTO: "MicrosoftPhoto",
    NS_PHOTOTRIAGE: "phototriage",
}
__all__ = [
    "SIDECAR_STYLES",
    "Decision",
    "RankInfo",
    "XmpError",
    "XmpStyle",
    "find_sidecar",
    "find_sidecars",
    "read_decision",
    "read_xmp",
    "sidecar_path",
    "write_sidecar",
]

# Temp files we create (sidecars here, photo copies in export) all start with this, so a
# later run can recognise and remove what a killed run left behind.
# How far into an arbitrary file we look for an embedded XMP packet.
EMBEDDED_SCAN_BYTES = 8 * 1024 * 1024
_JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_TIFF_XMP_TAG = 700


class XmpError(Exception):
    """An XMP file we cannot parse or safely edit; it is left exactly as it was."""

    def __init__(self, path: Path | str | None, reason: str):
        self.path = Path(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path is not None else reason)


@dataclass(frozen=True)
class RankInfo:
    """Where the ranker put the photo, recorded in PhotoTriage's own namespace."""

    burst_id: int
    rank: int
    score: float
    model: str


# ----------------------------------------------------------------------------- paths


def sidecar_path(photo: Path, style: str = "adobe") -> Path:
    """`IMG_1.xmp` (Adobe, shared by a RAW+JPEG pair) or `IMG_1.CR2.xmp` (darktable, digiKam)."""
    photo = Path(photo)
    if style == "adobe":
        return photo.with_suffix(".xmp")
    if style in ("darktable", "digikam"):
        return photo.with_name(photo.name + ".xmp")
    raise UsageError(f"sidecar style must be one of {SIDECAR_STYLES}, not {style!r}")


def _sidecar_candidates(photo: Path) -> list[Path]:
    # The file-specific name first: an Adobe-style sidecar may belong to the other half of a pair.
    photo = Path(photo)
    out = []
    for style in ("darktable", "adobe"):
        base = sidecar_path(photo, style)
        out += [base, base.with_suffix(".XMP")]
    return out


def find_sidecars(photo: Path) -> list[Path]:
    """Every existing sidecar of `photo`, either style, .xmp or .XMP, most specific first."""
    seen: set[tuple[int, int]] = set()
    found = []
    for cand in _sidecar_candidates(photo):
        try:
            st = os.stat(cand)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
            continue  # on case-insensitive file systems .xmp and .XMP are the same file
        seen.add((st.st_dev, st.st_ino))
        found.append(cand)
    return found


def find_sidecar(photo: Path) -> Path | None:
    """The sidecar a reader should use for `photo`, or None when it has none."""
    found = find_sidecars(photo)
    return found[0] if found else None


# ----------------------------------------------------------------------------- parsing


@dataclass
class _Attr:
    uri: str
    local: str
    value: str
    span: tuple[int, int]  # leading whitespace .. closing quote, for removal
    value_span: tuple[int, int]  # inside the quotes
    quote: bytes


@dataclass
class _Node:
    uri: str
    local: str
    qname: str
    start: int  # '<'
    tag_end: int  # just past the start tag's '>'
    attrs_end: int  # just past the last attribute (where new attributes go)
    self_closing: bool
    attrs: list[_Attr]
    decls: dict[str, str]
    scope: dict[str, str]
    parent: _Node | None
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    content_end: int = -1  # the '<' of the end tag
    end: int = -1  # just past the end tag
    attr_sep: bytes = b" "

    def is_(self, uri: str, local: str) -> bool:
        return self.uri == uri and self.local == local

    @property
    def simple_text(self) -> str:
        return "".join(self.text).strip()


_NAME = rb"[^\s=/>\"'<]+"
_ATTR_RE = re.compile(rb"(\s+)(" + _NAME + rb")(\s*=\s*)(\"[^\"]*\"|'[^']*')")
_START_RE = re.compile(rb"<(" + _NAME + rb")((?:\s+" + _NAME + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(\s*)(/?)>")
_END_RE = re.compile(rb"</(" + _NAME + rb")\s*>")
_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)[\"']")


@dataclass
class _Doc:
    data: bytes
    root: _Node | None
    rdf: _Node | None

    @property
    def descriptions(self) -> list[_Node]:
        if self.rdf is None:
            return []
        return [c for c in self.rdf.children if c.is_(NS_RDF, "Description")]


def _split_name(name: str) -> tuple[str, str, str]:
    parts = name.split(" ")
    if len(parts) == 3:
        return parts[0], parts[1], f"{parts[2]}:{parts[1]}"
    if len(parts) == 2:
        return parts[0], parts[1], parts[1]
    return "", parts[0], parts[0]


#: Sidecars larger than this are refused unread (XmpError naming the file): the largest a tool writes
#: that we know of are a few MB (Lightroom with many masks, darktable with a long history), so 32 MiB
#: is ten times that; beyond it reading costs seconds and memory for no decision that could be in it.
MAX_XMP_BYTES = 32 * 1024 * 1024
#: Elements a parse keeps as nodes (Descriptions, the properties we read or write, their array items).
#: A real file has a few dozen; a flood of them is refused rather than built in memory.
MAX_XMP_NODES = 10_000
# The properties a decision read or merge ever looks at. Everything else (darktable's history,
# Lightroom's develop settings, a thumbnail) is passed over without building nodes: a 50 MB sidecar
# of them once made 1.5 million nodes, 1.5 GB and most of 47 s (half of it the garbage collector).
_WANTED = frozenset({RATING, LABEL, PICK_LABEL, DIGIKAM_COLOR, COLORLABELS, PM_TAGGED, PM_PREFS, PM_COLOR, MS_RATING})
_ARRAYS = ("Seq", "Bag", "Alt")


def _wanted(uri: str, local: str) -> bool:
    return uri == NS_PHOTOTRIAGE or (uri, local) in _WANTED


def read_xmp_bytes(xmp_file: Path) -> bytes:
    """The bytes of a sidecar, refused (XmpError naming it) over MAX_XMP_BYTES without reading it."""
    with open(xmp_file, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(size + 1) if size <= MAX_XMP_BYTES else b""  # read() sizes its buffer to the ask
        if len(data) > size:  # grown since the stat
            data += f.read(MAX_XMP_BYTES + 1 - len(data))
    if size > MAX_XMP_BYTES or len(data) > MAX_XMP_BYTES:
        raise XmpError(xmp_file, _too_big(max(size, len(data))))
    return data


def _too_big(size: int) -> str:
    return (
        f"{size / 1e6:.1f} MB, over the {MAX_XMP_BYTES // (1024 * 1024)} MiB a sidecar may have: "
        "not read and never rewritten (decisions stay in the catalog)"
    )


def _parse(data: bytes, path: Path | str | None) -> _Doc:
    """Parse an XMP document keeping the byte position of every tag and attribute we may edit.

    Linear in the size of `data` with memory bounded by MAX_XMP_NODES: only the rdf:RDF element,
    its Descriptions, the properties in _WANTED and their array items become nodes; every other
    subtree is counted through by depth alone."""
    if len(data) > MAX_XMP_BYTES:
        raise XmpError(path, _too_big(len(data)))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise XmpError(path, "UTF-16/32 encoded XMP is not supported")
    m = _ENCODING_RE.match(data.lstrip(b"\xef\xbb\xbf"))
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise XmpError(path, f"unsupported encoding {m.group(1).decode('ascii', 'replace')}")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True
    parser.ordered_attributes = True
    parser.buffer_text = True  # one call per text run, not per line
    stack: list[_Node] = []
    pending_decls: dict[str, str] = {}
    doc = _Doc(data, None, None)
    # depth inside a subtree we pass over (0: not in one); index of rdf:RDF in the stack; nodes built
    skip = [0]
    rdf_at = [-1]
    built = [0]

    def refuse_dtd(*_args: object) -> NoReturn:
        raise XmpError(path, "a DTD is not allowed in XMP")

    def on_ns(prefix: str | None, uri: str) -> None:
        pending_decls[prefix or ""] = uri

    def keep(uri: str, local: str) -> bool:
        if rdf_at[0] < 0:
            return len(stack) < 4  # rdf:RDF is the root or close under it (x:xmpmeta, x:xapmeta)
        level = len(stack) - rdf_at[0]  # 1 Description, 2 property, 3 its value, 4 array item
        if level == 1:
            return uri == NS_RDF and local == "Description"
        if level == 2:
            return _wanted(uri, local)
        if level == 3:
            return True
        return level == 4 and stack[-1].uri == NS_RDF and stack[-1].local in _ARRAYS and local == "li"

    def on_start(name: str, attributes: list[str]) -> None:  # ordered_attributes: name, value, ...
        if skip[0]:
            skip[0] += 1
            pending_decls.clear()
            return
        uri, local, qname = _split_name(name)
        if not keep(uri, local):
            skip[0] = 1
            pending_decls.clear()
            return
        built[0] += 1
        if built[0] > MAX_XMP_NODES:
            raise XmpError(path, f"more than {MAX_XMP_NODES} XMP elements to read: not a sidecar any tool writes")
        pos = parser.CurrentByteIndex
        m = _START_RE.match(data, pos)
        if m is None:
            raise XmpError(path, f"cannot locate start tag at byte {pos}")
        attrs = []
        sep = b" "
        if rdf_at[0] >= 0 and len(stack) - rdf_at[0] == 1:  # only a Description's attributes are read
            raw_attrs = []
            for am in _ATTR_RE.finditer(data, m.start(2), m.end(2)):
                sep = am.group(1)
                if am.group(2) == b"xmlns" or am.group(2).startswith(b"xmlns:"):
                    continue
                raw_attrs.append(am)
            if len(raw_attrs) * 2 != len(attributes):
                raise XmpError(path, f"cannot map the attributes of <{qname}> at byte {pos}")
            for i, am in enumerate(raw_attrs):
                a_uri, a_local, _ = _split_name(attributes[2 * i])
                if a_uri != NS_RDF and not _wanted(a_uri, a_local):
                    continue
                attrs.append(
                    _Attr(
                        a_uri,
                        a_local,
                        attributes[2 * i + 1],
                        (am.start(1), am.end(4)),
                        (am.start(4) + 1, am.end(4) - 1),
                        am.group(4)[:1],
                    )
                )
        parent = stack[-1] if stack else None
        decls = dict(pending_decls)
        pending_decls.clear()
        scope = {**parent.scope, **decls} if parent is not None and decls else parent.scope if parent else decls
        node = _Node(
            uri, local, qname, pos, m.end(), m.end(2), bool(m.group(4)), attrs, decls, scope, parent, attr_sep=sep
        )
        if parent is not None:
            parent.children.append(node)
        else:
            doc.root = node
        if doc.rdf is None and node.is_(NS_RDF, "RDF"):
            doc.rdf = node
            rdf_at[0] = len(stack)
        stack.append(node)

    def on_end(_name: str) -> None:
        if skip[0]:
            skip[0] -= 1
            return
        node = stack.pop()
        if node.self_closing:
            node.content_end = node.end = node.tag_end
            return
        pos = parser.CurrentByteIndex
        m = _END_RE.match(data, pos)
        if m is None:
            raise XmpError(path, f"cannot locate end tag of <{node.qname}> at byte {pos}")
        node.content_end, node.end = pos, m.end()

    def on_text(text: str) -> None:
        if stack and not skip[0] and rdf_at[0] >= 0 and len(stack) - rdf_at[0] > 2:
            stack[-1].text.append(text)  # only a property's value and array items are read as text

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartNamespaceDeclHandler = on_ns
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = on_text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise XmpError(path, f"not well-formed XML ({exc})") from None
    except (ValueError, UnicodeError) as exc:
        raise XmpError(path, f"cannot be decoded ({exc})") from None
    return doc


def _properties(doc: _Doc) -> Props:
    """Top-level property values of every rdf:Description: str, or list[str] for arrays."""
    props: Props = {}
    for desc in doc.descriptions:
        for a in desc.attrs:
            if a.uri not in (NS_RDF, "", "http://www.w3.org/XML/1998/namespace"):
                props.setdefault((a.uri, a.local), []).append(a.value)
        for child in desc.children:
            arrays = [c for c in child.children if c.uri == NS_RDF and c.local in ("Seq", "Bag", "Alt")]
            value = (
                [li.simple_text for li in arrays[0].children if li.is_(NS_RDF, "li")] if arrays else child.simple_text
            )
            props.setdefault((child.uri, child.local), []).append(value)
    return props


def _decision_from(doc: _Doc) -> Decision | None:
    return decision_from_props(_properties(doc))


def _rank_from(doc: _Doc) -> RankInfo | None:
    props = _properties(doc)

    def get(local: str) -> str | None:
        values = props.get((NS_PHOTOTRIAGE, local))
        return values[0] if values and isinstance(values[0], str) else None

    burst, rank, score, model = get("BurstID"), get("Rank"), get("Score"), get("Model")
    if burst is None or rank is None or score is None:
        return None
    try:
        return RankInfo(int(burst), int(rank), float(score), model or "")
    except ValueError:
        return None


def read_xmp(xmp_file: Path) -> tuple[Decision | None, RankInfo | None]:
    """The decision and rank recorded in one XMP file; XmpError when it cannot be parsed."""
    xmp_file = Path(xmp_file)
    doc = _parse(read_xmp_bytes(xmp_file), xmp_file)
    if doc.rdf is None:
        raise XmpError(xmp_file, "no rdf:RDF element")
    return _decision_from(doc), _rank_from(doc)


# ----------------------------------------------------------------------------- embedded XMP


def _jpeg_xmp(f: BinaryIO) -> bytes | None:
    f.seek(2)
    while True:
        b = f.read(1)
        while b == b"\xff":
            b = f.read(1)
            if b != b"\xff":
                break
        if not b:
            return None
        marker = b[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker in (0xDA, 0xD9):  # image data starts: metadata segments are all before it
            return None
        raw_len = f.read(2)
        if len(raw_len) < 2:
            return None
        length = struct.unpack(">H", raw_len)[0]
        payload = f.read(max(length - 2, 0))
        if marker == 0xE1 and payload.startswith(_JPEG_XMP_HEADER):
            return payload[len(_JPEG_XMP_HEADER) :]


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

    from ranker.heif_xmp import read_xmp as heif_read_xmp

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


def read_embedded_xmp(photo: Path) -> bytes | None:
    """The XMP packet inside `photo` (JPEG APP1, TIFF tag 700, else the first packet found near the start)."""
    with open(photo, "rb") as f:
        head = f.read(8)
        try:
            if head.startswith(b"\xff\xd8"):
                packet = _jpeg_xmp(f)
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
    decision = embedded_decision(photo)
    if decision is None:
        rating = exif_rating(photo)
        decision = Decision(None, rating, None) if rating else None
    return decision


def embedded_decision(photo: Path) -> Decision | None:
    """The decision in the XMP packet inside `photo` alone (no sidecar, no EXIF); None when none parses."""
    packet = read_embedded_xmp(photo)
    if packet is None:
        return None
    try:
        return _decision_from(_parse(packet, photo))
    except XmpError:
        return None


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
    """EXIF Rating (0x4746) of a JPEG or TIFF-based file, 0-5; 0 when absent or unreadable."""
    try:
        with open(photo, "rb") as f:
            head = f.read(EMBEDDED_SCAN_BYTES if Path(photo).suffix.lower() in (".jpg", ".jpeg") else 1024 * 1024)
    except OSError:
        return 0
    if head.startswith(b"\xff\xd8"):
        at = head.find(b"\xff\xe1")
        while at != -1:
            (length,) = struct.unpack_from(">H", head, at + 2) if at + 4 <= len(head) else (0,)
            body = head[at + 4 : at + 2 + length]
            if body.startswith(_EXIF_HEADER):
                head = body[len(_EXIF_HEADER) :]
                break
            at = head.find(b"\xff\xe1", at + 2 + max(length, 2))
        else:
            return 0
    value = _ifd0_value(head, _EXIF_RATING_TAG)
    return value if value is not None and 0 <= value <= 5 else 0


# ----------------------------------------------------------------------------- writing


def _fmt_score(score: float) -> str:
    return repr(float(score))


def _escape(text: str, quote: bytes | None = None) -> bytes:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote == b'"':
        out = out.replace('"', "&quot;")
    elif quote == b"'":
        out = out.replace("'", "&apos;")
    if quote is not None:
        out = out.replace("\n", "&#10;").replace("\t", "&#9;").replace("\r", "&#13;")
    return out.encode("utf-8")


def _attr_text(value: str) -> str:
    return _escape(value, b'"').decode("utf-8")


class _Editor:
    """Collects non-overlapping byte-range replacements and applies them in one go."""

    def __init__(self, data: bytes):
        self.data = data
        self.edits: list[tuple[int, int, bytes]] = []

    def replace(self, start: int, end: int, new: bytes) -> None:
        self.edits.append((start, end, new))

    def result(self) -> bytes:
        out, pos = [], 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < pos:
                raise AssertionError("overlapping XMP edits")
            out += [self.data[pos:start], new]
            pos = end
        out.append(self.data[pos:])
        return b"".join(out)


def _line_start(data: bytes, pos: int) -> int:
    """Start of the whitespace run before `pos` (so removing an element takes its indentation)."""
    i = pos
    while i > 0 and data[i - 1 : i] in (b" ", b"\t", b"\n", b"\r"):
        i -= 1
    return i


def _indent_of(data: bytes, pos: int) -> bytes:
    line = data.rfind(b"\n", 0, pos) + 1
    ws = data[line:pos]
    return ws if ws.strip() == b"" else b""


def _prefix_for(node: _Node, uri: str) -> str | None:
    for prefix, bound in node.scope.items():
        if bound == uri and prefix:
            return prefix
    return None


def _li_seq(ints: list[int], rdf_prefix: str) -> bytes:
    if not ints:
        return f"<{rdf_prefix}:Seq/>".encode()
    items = "".join(f"<{rdf_prefix}:li>{i}</{rdf_prefix}:li>" for i in ints)
    return f"<{rdf_prefix}:Seq>{items}</{rdf_prefix}:Seq>".encode()


@dataclass
class _Fields:
    """What one write does to the standard fields: set always, set only where present, remove."""

    want: dict[tuple[str, str], str]
    only_if_present: dict[tuple[str, str], str]
    remove: set[tuple[str, str]]
    label: str | None  # the colour xmp:Label / darktable:colorlabels / ColorLabel should carry
    rating: int  # xmp:Rating as written (0 when none), for Photo Mechanic's and Windows' copies
    flag: str | None
    add_colorlabels: bool  # darktable style: write darktable's own list even where it is missing
    more: tuple[str, ...] = ()  # darktable's further colour labels the decision holds


def _fields(decision: Decision, rank: RankInfo | None, style: XmpStyle) -> _Fields:
    e = express(decision, style)
    want: dict[tuple[str, str], str] = {}
    only: dict[tuple[str, str], str] = {}
    remove: set[tuple[str, str]] = set()
    if e.rating is not None:
        want[RATING] = str(e.rating)
    else:
        remove.add(RATING)  # undecided is no rating at all, never a misleading "0"
    label_name_value = e.label.capitalize() if e.label is not None else None
    if decision.label_name is not None:
        # The user's own spelling: "Rot" for red; "Approved" stays even when a pick is expressed as a colour.
        label_name_value = decision.label_name
    if label_name_value is not None and style.sidecar != "darktable":
        want[LABEL] = label_name_value
    elif label_name_value is not None:
        # darktable lets xmp:Label override its own list with one label (measured, 4.2.1): its list
        # (darktable:colorlabels) carries the colour; an xmp:Label another tool wrote is kept in step.
        only[LABEL] = label_name_value
    if e.pick_label is not None:
        want[PICK_LABEL] = str(e.pick_label)
    else:
        only[PICK_LABEL] = "0"
    digikam_color = str(DIGIKAM_COLOR_NUMBER.get(e.label or "", 0))
    if style.sidecar == "digikam" and e.label is not None:
        want[DIGIKAM_COLOR] = digikam_color
    else:
        only[DIGIKAM_COLOR] = digikam_color
    # Fields other tools keep for the same facts: updated only where they already exist,
    # so that tool reads the same decision we wrote.
    only[PM_TAGGED] = "True" if decision.flag == "pick" else "False"
    only[PM_COLOR] = str(PM_COLOR_NUMBER.get(e.label or "", 0))
    only[MS_RATING] = str(MS_PERCENT[max(e.rating or 0, 0)])
    want[OUR_FLAG] = decision.flag or ""
    want[OUR_STARS] = str(decision.rating)
    want[OUR_COLOR] = decision.label or ""
    want[OUR_PICK_AS] = style.token()
    if rank is not None:
        want[(NS_PHOTOTRIAGE, "BurstID")] = str(int(rank.burst_id))
        want[(NS_PHOTOTRIAGE, "Rank")] = str(int(rank.rank))
        want[(NS_PHOTOTRIAGE, "Score")] = _fmt_score(rank.score)
        want[(NS_PHOTOTRIAGE, "Model")] = str(rank.model)
    return _Fields(
        want,
        only,
        remove,
        e.label,
        max(e.rating or 0, 0),
        decision.flag,
        e.label is not None and (style.sidecar == "darktable" or bool(decision.more_labels)),
        decision.more_labels,
    )


def _pm_prefs(value: str, f: _Fields) -> str:
    """Photo Mechanic's `Tagged:ColorClass:Rating:FrameNum`, with our three fields and its frame number."""
    parts = value.split(":")
    if len(parts) < 3:
        return value
    parts[0] = "1" if f.flag == "pick" else "0"
    parts[1] = str(PM_COLOR_NUMBER.get(f.label or "", 0))
    parts[2] = str(f.rating)
    return ":".join(parts)


def _merged_colorlabels(current: list[str], label: str | None, more: tuple[str, ...] = ()) -> list[int]:
    """darktable keeps several labels: ours goes first (that is what a reader takes), the rest stay,
    and the further labels the catalog holds for the photo are added."""
    ints = []
    for text in current:
        try:
            i = int(text.strip())
        except ValueError:
            continue
        if i not in ints:
            ints.append(i)
    if label is None:
        return []
    ours = LABELS.index(label)
    merged = ints if ours in ints else [ours, *ints[1:]]
    return merged + [LABELS.index(m) for m in more if LABELS.index(m) not in merged]


def _merge(data: bytes, decision: Decision, rank: RankInfo | None, path: Path, style: XmpStyle) -> bytes:
    doc = _parse(data, path)
    if doc.rdf is None:
        raise XmpError(path, "no rdf:RDF element")
    ed = _Editor(data)
    f = _fields(decision, rank, style)
    found: set[tuple[str, str]] = set()

    def set_value(node_or_attr: _Attr | _Node, value: str | None) -> None:
        if isinstance(node_or_attr, _Attr):
            a = node_or_attr
            if value is None:
                ed.replace(*a.span, b"")
            elif a.value != value:
                ed.replace(*a.value_span, _escape(value, a.quote))
            return
        el = node_or_attr
        if value is None:
            ed.replace(_line_start(data, el.start), el.end, b"")
        elif el.self_closing:
            ed.replace(el.start, el.end, f"<{el.qname}>".encode() + _escape(value) + f"</{el.qname}>".encode())
        elif el.children or el.simple_text != value:
            ed.replace(el.tag_end, el.content_end, _escape(value))

    for desc in doc.descriptions:
        occurrences: list[tuple[str, str, _Attr | _Node]] = [(a.uri, a.local, a) for a in desc.attrs]
        occurrences += [(c.uri, c.local, c) for c in desc.children]
        for uri, local, occ in occurrences:
            key = (uri, local)
            current = occ.value if isinstance(occ, _Attr) else occ.simple_text
            if key == LABEL and f.label is None and LABEL not in f.want:
                if label_is_ours(current):  # a custom label ("Approved") is not ours to remove
                    set_value(occ, None)
                found.add(key)
            elif key in f.want:
                set_value(occ, f.want[key])
                found.add(key)
            elif key in f.remove:
                set_value(occ, None)
            elif key in f.only_if_present:
                set_value(occ, f.only_if_present[key])
            elif key == PM_PREFS:
                set_value(occ, _pm_prefs(current, f))
            elif key == COLORLABELS and isinstance(occ, _Node):
                _set_colorlabels(occ, f.label, ed, f.more)
                found.add(key)

    missing = [(k, v) for k, v in f.want.items() if k not in found]
    elements = (
        []
        if COLORLABELS in found or not f.add_colorlabels or f.label is None
        else [(COLORLABELS, _merged_colorlabels([], f.label, f.more))]
    )
    if missing or elements:
        ours = next((d for d in doc.descriptions if NS_PHOTOTRIAGE in d.decls.values()), None)
        if ours is not None:
            _add_attributes(ours, missing, elements, data, ed)
        else:
            _add_description(doc, missing, elements, ed)
    return ed.result()


def label_is_ours(value: str) -> bool:
    """A colour name we manage (any language); anything else in xmp:Label belongs to the user."""
    return label_name(value) is not None


def _set_colorlabels(el: _Node, label: str | None, ed: _Editor, more: tuple[str, ...] = ()) -> None:
    seqs = [c for c in el.children if c.is_(NS_RDF, "Seq") or c.is_(NS_RDF, "Bag")]
    rdf_prefix = _prefix_for(el, NS_RDF) or "rdf"
    if not seqs:
        wanted = _merged_colorlabels([], label, more)
        ed.replace(el.start, el.end, f"<{el.qname}>".encode() + _li_seq(wanted, rdf_prefix) + f"</{el.qname}>".encode())
        return
    seq = seqs[0]
    current = [li.simple_text for li in seq.children if li.is_(NS_RDF, "li")]
    wanted = _merged_colorlabels(current, label, more)
    if [str(i) for i in wanted] == [c.strip() for c in current]:
        return
    items = [li for li in seq.children if li.is_(NS_RDF, "li")]
    if not wanted or seq.self_closing or not items:
        # An empty list is written `<rdf:Seq/>`, as darktable does (whitespace inside reads as text).
        ed.replace(seq.start, seq.end, _li_seq(wanted, rdf_prefix))
        return
    # Only the items change; the file's own layout (one item per indented line) is kept.
    gap = ed.data[seq.tag_end : items[0].start]
    sep = gap[gap.rfind(b"\n") :] if b"\n" in gap else b""
    qname = items[0].qname
    ed.replace(items[0].start, items[-1].end, sep.join(f"<{qname}>{i}</{qname}>".encode() for i in wanted))


def _new_prefix(node: _Node, uri: str, taken: set[str]) -> str:
    base = _PREFERRED_PREFIX.get(uri, "ns")
    prefix, n = base, 1
    while prefix in node.scope or prefix in taken:
        prefix, n = f"{base}{n}", n + 1
    return prefix


def _element(qname: str, ints: list[int], rdf_prefix: str) -> bytes:
    return f"<{qname}>".encode() + _li_seq(ints, rdf_prefix) + f"</{qname}>".encode()


def _add_attributes(
    desc: _Node,
    missing: list[tuple[tuple[str, str], str]],
    elements: list[tuple[tuple[str, str], list[int]]],
    data: bytes,
    ed: _Editor,
) -> None:
    sep = desc.attr_sep if b"\n" in desc.attr_sep else b" "
    decls, attrs = [], []
    new_prefixes: dict[str, str] = {}

    def prefix_of(uri: str) -> str:
        prefix = _prefix_for(desc, uri) or new_prefixes.get(uri)
        if prefix is None:
            prefix = new_prefixes[uri] = _new_prefix(desc, uri, set(new_prefixes.values()))
            decls.append(sep + f'xmlns:{prefix}="{uri}"'.encode())
        return prefix

    for (uri, local), value in missing:
        attrs.append(sep + f"{prefix_of(uri)}:{local}=".encode() + b'"' + _escape(value, b'"') + b'"')
    children = b"".join(
        _element(f"{prefix_of(uri)}:{local}", ints, _prefix_for(desc, NS_RDF) or "rdf")
        for (uri, local), ints in elements
    )
    ed.replace(desc.attrs_end, desc.attrs_end, b"".join(decls + attrs))
    if children:
        if desc.self_closing:
            ed.replace(desc.tag_end - 2, desc.tag_end, b">" + children + f"</{desc.qname}>".encode())
        else:
            ed.replace(desc.content_end, desc.content_end, children)


def _add_description(
    doc: _Doc,
    missing: list[tuple[tuple[str, str], str]],
    elements: list[tuple[tuple[str, str], list[int]]],
    ed: _Editor,
) -> None:
    rdf, data = doc.rdf, doc.data
    assert rdf is not None
    descs = doc.descriptions
    rdf_prefix = _prefix_for(rdf, NS_RDF)
    about = next((a.value for d in descs for a in d.attrs if a.uri == NS_RDF and a.local == "about"), "")
    indent = _indent_of(data, descs[-1].start) if descs else _indent_of(data, rdf.start) + b" "
    prefixes: dict[str, str] = {}
    decl_lines = []
    if rdf_prefix is None:
        rdf_prefix = "rdf"
        decl_lines.append(f'xmlns:rdf="{NS_RDF}"')
    for (uri, _local), _value in [*missing, *elements]:
        if uri not in prefixes:
            prefixes[uri] = _PREFERRED_PREFIX.get(uri, f"ns{len(prefixes)}")
            decl_lines.append(f'xmlns:{prefixes[uri]}="{uri}"')
    ind = indent.decode("utf-8", "replace")
    lines = [f'{ind}<{rdf_prefix}:Description {rdf_prefix}:about="{_attr_text(about)}"']
    lines += [f"{ind}    {d}" for d in decl_lines]
    lines += [f'{ind}   {prefixes[uri]}:{local}="{_attr_text(value)}"' for (uri, local), value in missing]
    newline = "\r\n" if b"\r\n" in data else "\n"  # match the file's line endings
    if elements:
        lines[-1] += ">"
        lines += [
            f"{ind}   " + _element(f"{prefixes[uri]}:{local}", ints, rdf_prefix).decode()
            for (uri, local), ints in elements
        ]
        lines.append(f"{ind}</{rdf_prefix}:Description>")
        block = newline.join(lines).encode("utf-8")
    else:
        block = (newline.join(lines) + "/>").encode("utf-8")
    nl = newline.encode()
    if rdf.self_closing:
        ed.replace(
            rdf.tag_end - 2,
            rdf.tag_end,
            b">" + nl + block + nl + _indent_of(data, rdf.start) + f"</{rdf.qname}>".encode(),
        )
        return
    after_content = _line_start(data, rdf.content_end)
    if b"\n" in data[after_content : rdf.content_end]:
        # Our block goes on its own lines after the last one, leaving the `</rdf:RDF>` line as it was.
        ed.replace(after_content, after_content, nl + block)
    else:
        ed.replace(rdf.content_end, rdf.content_end, block.lstrip())


_EMPTY_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="PhotoTriage">\n'
    f' <rdf:RDF xmlns:rdf="{NS_RDF}">\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
).encode()


def merged_packet(
    existing: bytes | None,
    decision: Decision,
    rank: RankInfo | None = None,
    style: XmpStyle | str | None = None,
    path: Path | str | None = None,
) -> bytes:
    """`existing` XMP (None or blank: a new packet) with `decision` merged in; checked to read back.

    Every field another tool wrote survives, and bytes we do not need to change stay as they were.
    """
    style = as_style(style)
    if existing is None or not existing.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        existing = _EMPTY_PACKET
    new = _merge(existing, decision, rank, Path(path) if path is not None else Path("<xmp>"), style)
    back = _decision_from(_parse(new, path))
    if (
        back != decision
        # darktable style writes no xmp:Label of its own, so a label name goes only where one is
        or (decision.label_name is not None and style.sidecar != "darktable" and back.label_name != decision.label_name)
        or not set(decision.more_labels) <= set(back.more_labels)
    ):
        raise XmpError(path, "merged XMP would not read back as the decision written; left unchanged")
    return new


def write_sidecar(
    photo: Path,
    decision: Decision,
    rank: RankInfo | None = None,
    *,
    style: XmpStyle | str | None = "adobe",
    target: Path | None = None,
) -> Path:
    """Record `decision` (and `rank`) in the sidecar of `photo`, merging into one that exists.

    Every field another tool wrote survives, and bytes we do not need to change stay as they
    were. A sidecar we cannot parse is never overwritten (XmpError). The photo itself is never
    touched. Returns the sidecar path written.
    """
    photo = Path(photo)
    style = as_style(style)
    target = Path(target) if target is not None else sidecar_path(photo, style.sidecar)
    if target.suffix.lower() != ".xmp":
        raise UsageError(f"refusing to write XMP into {target}: a sidecar must end in .xmp")
    with contextlib.suppress(OSError):
        if photo.exists() and os.path.samefile(photo, target):
            raise UsageError(f"refusing to write XMP over the photo {photo}")
    try:
        existing = read_xmp_bytes(target)  # one we refuse to read is never rewritten (XmpError)
        st = os.stat(target)
    except FileNotFoundError:
        existing, st = None, None
    new = merged_packet(existing, decision, rank, style, target)
    if existing is not None and new == existing:
        return target
    atomic_write_bytes(target, new, like=st)
    return target
