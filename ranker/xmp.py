"""Culling decisions in XMP: read every tool's convention, merge-write sidecars without losing foreign fields."""
from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
import stat
import struct
import time
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from ranker.decisions import LABELS as DECISION_LABELS
from ranker.decisions import Decision

NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_DIGIKAM = "http://www.digikam.org/ns/1.0/"
NS_DARKTABLE = "http://darktable.sf.net/"
NS_PHOTOMECHANIC = "http://ns.camerabits.com/photomechanic/1.0/"
NS_PHOTOTRIAGE = "https://phototriage.app/ns/1.0/"

# Prefixes we declare when we have to introduce a namespace ourselves.
_PREFERRED_PREFIX = {
    NS_RDF: "rdf",
    NS_XMP: "xmp",
    NS_DIGIKAM: "digiKam",
    NS_PHOTOTRIAGE: "phototriage",
}

# The colour names in xmp:Label order, without the "no label" entry of ranker.decisions.LABELS.
LABELS = tuple(label for label in DECISION_LABELS if label)
SIDECAR_STYLES = ("adobe", "darktable")
# digiKam's ColorLabel numbering: 0 none, 1 red, 2 orange, 3 yellow, 4 green, 5 blue, 6 magenta, 7 grey...
_DIGIKAM_COLOR = {"red": 1, "yellow": 3, "green": 4, "blue": 5, "purple": 6}
_DIGIKAM_COLOR_BACK = {v: k for k, v in _DIGIKAM_COLOR.items()}

# Temp files we create (sidecars here, photo copies in export) all start with this, so a
# later run can recognise and remove what a killed run left behind.
TEMP_PREFIX = ".phototriage-tmp-"
_STALE_TEMP_AGE_S = 24 * 3600
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


def _as_recorded(decision: Decision) -> Decision:
    # xmp:Rating carries either stars or the reject mark, so a reject keeps no stars.
    return Decision("reject", 0, decision.label) if decision.flag == "reject" else decision


# ----------------------------------------------------------------------------- paths

def sidecar_path(photo: Path, style: str = "adobe") -> Path:
    """`IMG_1.xmp` (Adobe, shared by a RAW+JPEG pair) or `IMG_1.CR2.xmp` (darktable, digiKam)."""
    photo = Path(photo)
    if style == "adobe":
        return photo.with_suffix(".xmp")
    if style == "darktable":
        return photo.with_name(photo.name + ".xmp")
    raise ValueError(f"sidecar style must be one of {SIDECAR_STYLES}, not {style!r}")


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
_START_RE = re.compile(
    rb"<(" + _NAME + rb")((?:\s+" + _NAME + rb"\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(\s*)(/?)>")
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


def _parse(data: bytes, path: Path | str | None) -> _Doc:
    """Parse an XMP document keeping the byte position of every tag and attribute."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise XmpError(path, "UTF-16/32 encoded XMP is not supported")
    m = _ENCODING_RE.match(data.lstrip(b"\xef\xbb\xbf"))
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise XmpError(path, f"unsupported encoding {m.group(1).decode('ascii', 'replace')}")
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True
    parser.ordered_attributes = True
    stack: list[_Node] = []
    pending_decls: dict[str, str] = {}
    doc = _Doc(data, None, None)

    def refuse_dtd(*_args):
        raise XmpError(path, "a DTD is not allowed in XMP")

    def on_ns(prefix, uri):
        pending_decls[prefix or ""] = uri

    def on_start(name, attributes):
        pos = parser.CurrentByteIndex
        m = _START_RE.match(data, pos)
        if m is None:
            raise XmpError(path, f"cannot locate start tag at byte {pos}")
        uri, local, qname = _split_name(name)
        raw_attrs = []
        sep = b" "
        for am in _ATTR_RE.finditer(data, m.start(2), m.end(2)):
            sep = am.group(1)
            if am.group(2) == b"xmlns" or am.group(2).startswith(b"xmlns:"):
                continue
            raw_attrs.append(am)
        if len(raw_attrs) * 2 != len(attributes):
            raise XmpError(path, f"cannot map the attributes of <{qname}> at byte {pos}")
        attrs = []
        for i, am in enumerate(raw_attrs):
            a_uri, a_local, _ = _split_name(attributes[2 * i])
            attrs.append(_Attr(a_uri, a_local, attributes[2 * i + 1], (am.start(1), am.end(4)),
                               (am.start(4) + 1, am.end(4) - 1), am.group(4)[:1]))
        parent = stack[-1] if stack else None
        decls = dict(pending_decls)
        pending_decls.clear()
        scope = {**(parent.scope if parent else {}), **decls}
        node = _Node(uri, local, qname, pos, m.end(), m.end(2), bool(m.group(4)), attrs, decls,
                     scope, parent, attr_sep=sep)
        if parent is not None:
            parent.children.append(node)
        else:
            doc.root = node
        if doc.rdf is None and node.is_(NS_RDF, "RDF"):
            doc.rdf = node
        stack.append(node)

    def on_end(_name):
        node = stack.pop()
        if node.self_closing:
            node.content_end = node.end = node.tag_end
            return
        pos = parser.CurrentByteIndex
        m = _END_RE.match(data, pos)
        if m is None:
            raise XmpError(path, f"cannot locate end tag of <{node.qname}> at byte {pos}")
        node.content_end, node.end = pos, m.end()

    def on_text(text):
        if stack:
            stack[-1].text.append(text)

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


def _properties(doc: _Doc) -> dict[tuple[str, str], list]:
    """Top-level property values of every rdf:Description: str, or list[str] for arrays."""
    props: dict[tuple[str, str], list] = {}
    for desc in doc.descriptions:
        for a in desc.attrs:
            if a.uri not in (NS_RDF, "", "http://www.w3.org/XML/1998/namespace"):
                props.setdefault((a.uri, a.local), []).append(a.value)
        for child in desc.children:
            arrays = [c for c in child.children if c.uri == NS_RDF and c.local in ("Seq", "Bag", "Alt")]
            value = ([li.simple_text for li in arrays[0].children if li.is_(NS_RDF, "li")]
                     if arrays else child.simple_text)
            props.setdefault((child.uri, child.local), []).append(value)
    return props


def _first_int(values: list | None) -> int | None:
    for v in values or []:
        if isinstance(v, str):
            try:
                f = float(v.strip())
            except ValueError:
                continue
            if math.isfinite(f):
                return round(f)
    return None


def _decision_from(doc: _Doc) -> Decision | None:
    props = _properties(doc)
    keys = [(NS_XMP, "Rating"), (NS_XMP, "Label"), (NS_DIGIKAM, "PickLabel"), (NS_DIGIKAM, "ColorLabel"),
            (NS_DARKTABLE, "colorlabels"), (NS_PHOTOMECHANIC, "Tagged")]
    if not any(k in props for k in keys):
        return None
    rating_raw = _first_int(props.get((NS_XMP, "Rating")))
    pick_label = _first_int(props.get((NS_DIGIKAM, "PickLabel")))
    tagged = any(isinstance(v, str) and v.strip().lower() in ("true", "1", "yes")
                 for v in props.get((NS_PHOTOMECHANIC, "Tagged"), []))
    # An explicit reject anywhere wins: losing a reject is worse than losing a pick.
    if rating_raw == -1 or pick_label == 1:
        flag = "reject"
    elif pick_label == 3 or tagged:
        flag = "pick"
    else:
        flag = None
    rating = min(rating_raw, 5) if rating_raw is not None and rating_raw >= 0 else 0
    label = None
    for v in props.get((NS_XMP, "Label"), []):
        if isinstance(v, str) and v.strip().lower() in LABELS:
            label = v.strip().lower()
            break
    if (NS_XMP, "Label") not in props:
        for seq in props.get((NS_DARKTABLE, "colorlabels"), []):
            ints = [_first_int([v]) for v in (seq if isinstance(seq, list) else [seq])]
            ints = [i for i in ints if i is not None and 0 <= i < len(LABELS)]
            if ints:
                label = LABELS[ints[0]]
                break
        if label is None:
            label = _DIGIKAM_COLOR_BACK.get(_first_int(props.get((NS_DIGIKAM, "ColorLabel"))))
    return Decision(flag, rating, label)


def _rank_from(doc: _Doc) -> RankInfo | None:
    props = _properties(doc)

    def get(local):
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
    doc = _parse(xmp_file.read_bytes(), xmp_file)
    if doc.rdf is None:
        raise XmpError(xmp_file, "no rdf:RDF element")
    return _decision_from(doc), _rank_from(doc)


# ----------------------------------------------------------------------------- embedded XMP

def _jpeg_xmp(f) -> bytes | None:
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
            return payload[len(_JPEG_XMP_HEADER):]


def _tiff_xmp(f, order: str) -> bytes | None:
    f.seek(4)
    (ifd,) = struct.unpack(order + "I", f.read(4))
    f.seek(ifd)
    (count,) = struct.unpack(order + "H", f.read(2))
    for _ in range(min(count, 4096)):
        entry = f.read(12)
        if len(entry) < 12:
            return None
        tag, typ, n, value = struct.unpack(order + "HHI4s", entry)
        if tag == _TIFF_XMP_TAG and typ in (1, 7) and n <= 64 * 1024 * 1024:
            if n <= 4:
                return value[:n]
            f.seek(struct.unpack(order + "I", value)[0])
            return f.read(n)
    return None


def _scan_packets(data: bytes):
    """Every <x:xmpmeta>/<x:xapmeta> packet in `data`, in order, in linear time.

    A file of unclosed openings once made this quadratic (each opening searched to the end for its
    closing tag: 8.4 MB took over two minutes). The next closing tag after an opening is the same for
    every opening before it, so each kind's is found once and reused; none left means none to find."""
    kinds = [kind for kind in (b"ap", b"mp") if b"</x:x" + kind + b"meta>" in data]
    if not kinds:  # no packet can be complete: do not walk a flood of openings at all
        return
    next_end: dict[bytes, int] = {kind: None for kind in kinds}
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
        yield data[m.start():end + len(end_tag)]


def read_embedded_xmp(photo: Path) -> bytes | None:
    """The XMP packet inside `photo` (JPEG APP1, TIFF tag 700, else the first packet found near the start)."""
    with open(photo, "rb") as f:
        head = f.read(8)
        try:
            if head.startswith(b"\xff\xd8"):
                packet = _jpeg_xmp(f)
            elif head[:4] in (b"II*\x00", b"MM\x00*"):
                packet = _tiff_xmp(f, "<" if head[:2] == b"II" else ">")
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
    packet = read_embedded_xmp(photo)
    if packet is None:
        return None
    try:
        doc = _parse(packet, photo)
    except XmpError:
        return None
    return _decision_from(doc)


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
    while i > 0 and data[i - 1:i] in (b" ", b"\t", b"\n", b"\r"):
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


def _li_seq(label: str | None, rdf_prefix: str) -> bytes:
    if label is None:
        return f"<{rdf_prefix}:Seq/>".encode()
    return f"<{rdf_prefix}:Seq><{rdf_prefix}:li>{LABELS.index(label)}</{rdf_prefix}:li></{rdf_prefix}:Seq>".encode()


def _desired(decision: Decision, rank: RankInfo | None) -> dict[tuple[str, str], str]:
    rating = -1 if decision.flag == "reject" else decision.rating
    want = {
        (NS_XMP, "Rating"): str(rating),
        (NS_DIGIKAM, "PickLabel"): {"reject": "1", "pick": "3"}.get(decision.flag or "", "0"),
    }
    if decision.label is not None:
        want[(NS_XMP, "Label")] = decision.label.capitalize()
    if rank is not None:
        want[(NS_PHOTOTRIAGE, "BurstID")] = str(int(rank.burst_id))
        want[(NS_PHOTOTRIAGE, "Rank")] = str(int(rank.rank))
        want[(NS_PHOTOTRIAGE, "Score")] = _fmt_score(rank.score)
        want[(NS_PHOTOTRIAGE, "Model")] = str(rank.model)
    return want


def _merge(data: bytes, decision: Decision, rank: RankInfo | None, path: Path) -> bytes:
    doc = _parse(data, path)
    if doc.rdf is None:
        raise XmpError(path, "no rdf:RDF element")
    ed = _Editor(data)
    want = _desired(decision, rank)
    # Fields other tools keep for the same facts: updated only where they already exist,
    # so that tool reads the same decision we wrote.
    only_if_present = {
        (NS_DIGIKAM, "ColorLabel"): str(_DIGIKAM_COLOR.get(decision.label or "", 0)),
        (NS_PHOTOMECHANIC, "Tagged"): "True" if decision.flag == "pick" else "False",
    }
    found: set[tuple[str, str]] = set()

    def set_value(node_or_attr, value: str | None):
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
        occurrences = [(a.uri, a.local, a) for a in desc.attrs]
        occurrences += [(c.uri, c.local, c) for c in desc.children]
        for uri, local, occ in occurrences:
            key = (uri, local)
            if key == (NS_XMP, "Label") and decision.label is None:
                current = occ.value if isinstance(occ, _Attr) else occ.simple_text
                if current.strip().lower() in LABELS:  # a custom label ("Approved") is not ours to remove
                    set_value(occ, None)
                found.add(key)
            elif key in want:
                set_value(occ, want[key])
                found.add(key)
            elif key in only_if_present:
                set_value(occ, only_if_present[key])
            elif key == (NS_DARKTABLE, "colorlabels") and isinstance(occ, _Node):
                _set_colorlabels(occ, decision.label, data, ed)

    missing = [(k, v) for k, v in want.items() if k not in found]
    if missing:
        ours = next((d for d in doc.descriptions if NS_PHOTOTRIAGE in d.decls.values()), None)
        if ours is not None:
            _add_attributes(ours, missing, ed)
        else:
            _add_description(doc, missing, ed)
    return ed.result()


def _set_colorlabels(el: _Node, label: str | None, data: bytes, ed: _Editor) -> None:
    seqs = [c for c in el.children if c.is_(NS_RDF, "Seq") or c.is_(NS_RDF, "Bag")]
    rdf_prefix = _prefix_for(el, NS_RDF) or "rdf"
    if not seqs:
        ed.replace(el.tag_end if not el.self_closing else el.start,
                   el.content_end if not el.self_closing else el.end,
                   _li_seq(label, rdf_prefix) if not el.self_closing
                   else f"<{el.qname}>".encode() + _li_seq(label, rdf_prefix) + f"</{el.qname}>".encode())
        return
    seq = seqs[0]
    current = [li.simple_text for li in seq.children if li.is_(NS_RDF, "li")]
    wanted = [] if label is None else [str(LABELS.index(label))]
    if current == wanted:
        return
    if seq.self_closing or not seq.children or not wanted:
        # An empty list is written `<rdf:Seq/>`, as darktable does (whitespace inside reads as text).
        ed.replace(seq.start, seq.end, _li_seq(label, rdf_prefix))
        return
    first, last = seq.children[0], seq.children[-1]
    ed.replace(first.start, last.end, f"<{first.qname}>{wanted[0]}</{first.qname}>".encode())


def _new_prefix(node: _Node, uri: str, taken: set[str]) -> str:
    base = _PREFERRED_PREFIX.get(uri, "ns")
    prefix, n = base, 1
    while prefix in node.scope or prefix in taken:
        prefix, n = f"{base}{n}", n + 1
    return prefix


def _add_attributes(desc: _Node, missing: list[tuple[tuple[str, str], str]], ed: _Editor) -> None:
    sep = desc.attr_sep if b"\n" in desc.attr_sep else b" "
    decls, attrs = [], []
    new_prefixes: dict[str, str] = {}
    for (uri, local), value in missing:
        prefix = _prefix_for(desc, uri) or new_prefixes.get(uri)
        if prefix is None:
            prefix = new_prefixes[uri] = _new_prefix(desc, uri, set(new_prefixes.values()))
            decls.append(sep + f'xmlns:{prefix}="{uri}"'.encode())
        attrs.append(sep + f"{prefix}:{local}=".encode() + b'"' + _escape(value, b'"') + b'"')
    ed.replace(desc.attrs_end, desc.attrs_end, b"".join(decls + attrs))


def _add_description(doc: _Doc, missing: list[tuple[tuple[str, str], str]], ed: _Editor) -> None:
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
    for (uri, _local), _value in missing:
        if uri not in prefixes:
            prefixes[uri] = _PREFERRED_PREFIX.get(uri, f"ns{len(prefixes)}")
            decl_lines.append(f'xmlns:{prefixes[uri]}="{uri}"')
    ind = indent.decode("utf-8", "replace")
    lines = [f'{ind}<{rdf_prefix}:Description {rdf_prefix}:about="{_attr_text(about)}"']
    lines += [f"{ind}    {d}" for d in decl_lines]
    lines += [f'{ind}   {prefixes[uri]}:{local}="{_attr_text(value)}"' for (uri, local), value in missing]
    newline = "\r\n" if b"\r\n" in data else "\n"  # match the file's line endings
    block = (newline.join(lines) + "/>").encode("utf-8")
    nl = newline.encode()
    if rdf.self_closing:
        ed.replace(rdf.tag_end - 2, rdf.tag_end, b">" + nl + block + nl + _indent_of(data, rdf.start)
                   + f"</{rdf.qname}>".encode())
        return
    after_content = _line_start(data, rdf.content_end)
    if b"\n" in data[after_content:rdf.content_end]:
        # Our block goes on its own lines after the last one, leaving the `</rdf:RDF>` line as it was.
        ed.replace(after_content, after_content, nl + block)
    else:
        ed.replace(rdf.content_end, rdf.content_end, block.lstrip())


def _new_document(decision: Decision, rank: RankInfo | None) -> bytes:
    want = _desired(decision, rank)
    uris = []
    for uri, _ in want:
        if uri not in uris:
            uris.append(uri)
    lines = ['<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
             '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="PhotoTriage">',
             f' <rdf:RDF xmlns:rdf="{NS_RDF}">',
             '  <rdf:Description rdf:about=""']
    lines += [f'    xmlns:{_PREFERRED_PREFIX[u]}="{u}"' for u in uris]
    lines += [f'   {_PREFERRED_PREFIX[u]}:{local}="{_attr_text(v)}"' for (u, local), v in want.items()]
    lines[-1] += "/>"
    lines += [" </rdf:RDF>", "</x:xmpmeta>", '<?xpacket end="w"?>', ""]
    return "\n".join(lines).encode("utf-8")


def write_sidecar(photo: Path, decision: Decision, rank: RankInfo | None = None, *,
                  style: str = "adobe", target: Path | None = None) -> Path:
    """Record `decision` (and `rank`) in the sidecar of `photo`, merging into one that exists.

    Every field another tool wrote survives, and bytes we do not need to change stay as they
    were. A sidecar we cannot parse is never overwritten (XmpError). The photo itself is never
    touched. Returns the sidecar path written.
    """
    photo = Path(photo)
    target = Path(target) if target is not None else sidecar_path(photo, style)
    if target.suffix.lower() != ".xmp":
        raise ValueError(f"refusing to write XMP into {target}: a sidecar must end in .xmp")
    with contextlib.suppress(OSError):
        if photo.exists() and os.path.samefile(photo, target):
            raise ValueError(f"refusing to write XMP over the photo {photo}")
    try:
        existing = target.read_bytes()
        st = os.stat(target)
    except FileNotFoundError:
        existing, st = None, None
    if existing is not None and existing.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        new = _merge(existing, decision, rank, target)
    else:  # nothing there, or an empty file: nothing to preserve
        new = _new_document(decision, rank)
    check = _parse(new, target)
    if _decision_from(check) != _as_recorded(decision):
        raise XmpError(target, "merged sidecar would not read back as the decision written; left unchanged")
    if existing is not None and new == existing:
        return target
    atomic_write_bytes(target, new, like=st)
    return target


# ----------------------------------------------------------------------------- files

def temp_path(folder: Path, suffix: str = ".part") -> Path:
    """A fresh temp name in `folder` that marks its owner process, for cleanup after a kill."""
    return Path(folder) / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{suffix}"


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there; rely on age alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_temp_files(folder: Path) -> list[Path]:
    """Remove temp files a killed PhotoTriage process left in `folder`; returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            pid = int(entry.name[len(TEMP_PREFIX):].split("-", 1)[0])
        except ValueError:
            pid = -1
        try:
            st = entry.stat(follow_symlinks=False)
            stale = now - st.st_mtime > _STALE_TEMP_AGE_S
            if pid == os.getpid() and not stale:
                continue  # possibly a job still running in this very process
            if pid > 0 and _pid_alive(pid) and not stale:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); a no-op where directories cannot be opened."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(target: Path, data: bytes, *, like: os.stat_result | None = None) -> None:
    """Write `data` to `target` all-or-nothing: temp file beside it, fsync, os.replace.

    `like` is the stat of the file being replaced: its permissions (and owner, when we may)
    carry over to the new file.
    """
    target = Path(target)
    tmp = temp_path(target.parent)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if like is not None:
            os.chmod(tmp, stat.S_IMODE(like.st_mode))
            if hasattr(os, "chown"):
                with contextlib.suppress(OSError):
                    os.chown(tmp, like.st_uid, like.st_gid)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
