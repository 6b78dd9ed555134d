"""Merge-writing XMP: our fields edited into the bytes another tool wrote, every foreign field kept."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ranker.decisions import Decision, Flag, label_name
from ranker.errors import UsageError
from ranker.io.files import atomic_write_bytes
from ranker.xmp.paths import sidecar_path
from ranker.xmp.read import RankInfo, XmpError, _Attr, _decision_from, _Doc, _Node, _parse, read_xmp_bytes
from ranker.xmp.style import (
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
    XmpStyle,
    as_style,
    express,
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
    only[PM_TAGGED] = "True" if decision.flag == Flag.PICK else "False"
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
    parts[0] = "1" if f.flag == Flag.PICK else "0"
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
