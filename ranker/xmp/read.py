"""Reading XMP: a bounded parse of a sidecar or packet into the properties a decision is made of."""

from __future__ import annotations

import os
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from ranker.decisions import Decision
from ranker.xmp.style import (
    COLORLABELS,
    DIGIKAM_COLOR,
    LABEL,
    MS_RATING,
    NS_PHOTOTRIAGE,
    NS_RDF,
    PICK_LABEL,
    PM_COLOR,
    PM_PREFS,
    PM_TAGGED,
    RATING,
    Props,
    decision_from_props,
)


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
    return parse_xmp(read_xmp_bytes(xmp_file), xmp_file)


def parse_xmp(data: bytes, xmp_file: Path) -> tuple[Decision | None, RankInfo | None]:
    """read_xmp on bytes already read from `xmp_file` (named in errors), so a caller that hashes them reads once."""
    doc = _parse(data, xmp_file)
    if doc.rdf is None:
        raise XmpError(xmp_file, "no rdf:RDF element")
    return _decision_from(doc), _rank_from(doc)
