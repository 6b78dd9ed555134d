"""Tests ranker/xmp/: reading every tool's decision convention and merge-writing sidecars safely."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from ranker import xmp
from ranker.io import files
from ranker.xmp import (
    Decision,
    RankInfo,
    XmpError,
    find_sidecar,
    read_decision,
    read_xmp,
    sidecar_path,
    write_sidecar,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "xmp"
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool not on PATH: apt-get install -y libimage-exiftool-perl (CI installs it)"
)

RANK = RankInfo(burst_id=7, rank=1, score=0.8731, model="default-v1")
# Tags our writer owns (or keeps consistent); everything else exiftool sees must survive a merge.
MANAGED_TAGS = {
    "XMP-xmp:Rating",
    "XMP-xmp:Label",
    "XMP-digiKam:PickLabel",
    "XMP-digiKam:ColorLabel",
    "XMP-darktable:Colorlabels",
    "XMP-photomech:Tagged",
    "XMP-photomech:ColorClass",
    "XMP-photomech:Prefs",
    "XMP-microsoft:RatingPercent",
}

# What each hand-written fixture records, in our vocabulary.
FIXTURES = {
    "lightroom.xmp": Decision(None, 4, "red"),
    "darktable.xmp": Decision(None, 1, "green"),  # from darktable:colorlabels: no xmp:Label there
    "digikam.xmp": Decision("pick", 3, "green"),
    "captureone.xmp": Decision(None, 2, "blue"),  # element form, several rdf:Description blocks
    "photomechanic.xmp": Decision("pick", 5, "red"),  # photomechanic:Tagged
}


def exiftool_json(path: Path, *tags: str) -> dict:
    args = [EXIFTOOL, "-j", "-n", "-G1", "-struct", *(tags or ("-all",)), str(path)]
    out = subprocess.run(args, capture_output=True, timeout=60, check=True, text=True)
    return json.loads(out.stdout)[0]


def foreign_tags(info: dict) -> dict:
    return {
        k: v
        for k, v in info.items()
        if k != "SourceFile"
        and not k.startswith(("System:", "ExifTool:", "File:", "XMP-phototriage:"))
        and k not in MANAGED_TAGS
    }


def make_xmp(body_attrs: str = "", body_elements: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:digiKam="http://www.digikam.org/ns/1.0/"\n'
        '    xmlns:darktable="http://darktable.sf.net/"\n'
        '    xmlns:photomechanic="http://ns.camerabits.com/photomechanic/1.0/"\n'
        f"   {body_attrs}>\n{body_elements}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
    ).encode()


@pytest.fixture
def fixtures(tmp_path) -> Path:
    folder = tmp_path / "fixtures"
    shutil.copytree(DATA, folder)
    return folder


# ----------------------------------------------------------------------------- paths


def test_sidecar_path_styles():
    assert sidecar_path(Path("/a/IMG_0001.CR2")) == Path("/a/IMG_0001.xmp")
    assert sidecar_path(Path("/a/IMG_0001.CR2"), "darktable") == Path("/a/IMG_0001.CR2.xmp")
    with pytest.raises(ValueError, match="style"):
        sidecar_path(Path("x.jpg"), "lightroom")


def test_find_sidecar_either_style_and_case(tmp_path):
    photo = tmp_path / "IMG_0001.CR2"
    photo.write_bytes(b"raw")
    assert find_sidecar(photo) is None
    (tmp_path / "IMG_0001.XMP").write_bytes(make_xmp('xmp:Rating="2"'))
    assert find_sidecar(photo).name.lower() == "img_0001.xmp"
    # The file-specific (darktable/digiKam) name wins over the shared Adobe one.
    (tmp_path / "IMG_0001.CR2.xmp").write_bytes(make_xmp('xmp:Rating="4"'))
    assert find_sidecar(photo) == tmp_path / "IMG_0001.CR2.xmp"
    assert len(xmp.find_sidecars(photo)) == 2
    assert read_decision(photo) == Decision(None, 4, None)


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_read_each_tool_convention(fixtures, name):
    photo = fixtures / "IMG_0001.CR2"
    photo.write_bytes(b"not really a raw")
    shutil.copy(fixtures / name, sidecar_path(photo, "darktable" if name == "darktable.xmp" else "adobe"))
    assert read_decision(photo) == FIXTURES[name]


@pytest.mark.parametrize(
    "attrs, elements, expected",
    [
        ('xmp:Rating="-1"', "", Decision("reject", 0, None)),
        ('xmp:Rating="3" digiKam:PickLabel="1"', "", Decision("reject", 3, None)),
        ('xmp:Rating="3" digiKam:PickLabel="2"', "", Decision(None, 3, None)),  # pending is not a flag
        ('digiKam:PickLabel="3"', "", Decision("pick", 0, None)),
        ('xmp:Rating="7"', "", Decision(None, 5, None)),
        ('xmp:Rating="-5"', "", Decision(None, 0, None)),
        ('xmp:Rating="3.0"', "", Decision(None, 3, None)),
        ('xmp:Rating="lots"', "", Decision(None, 0, None)),
        ('xmp:Label="GREEN"', "", Decision(None, 0, "green")),
        ('xmp:Label="Approved"', "", Decision(None, 0, None)),
        ('photomechanic:Tagged="True"', "", Decision("pick", 0, None)),
        ('digiKam:ColorLabel="5"', "", Decision(None, 0, "blue")),
        ("", "   <xmp:Rating>2</xmp:Rating>\n   <xmp:Label>Yellow</xmp:Label>\n", Decision(None, 2, "yellow")),
        (
            "",
            (
                "   <darktable:colorlabels><rdf:Seq><rdf:li>4</rdf:li><rdf:li>0</rdf:li></rdf:Seq>"
                "</darktable:colorlabels>\n"
            ),
            Decision(None, 0, "purple"),
        ),
        # xmp:Label, when present, is the label; darktable's own list is the fallback.
        (
            'xmp:Label="Red"',
            "   <darktable:colorlabels><rdf:Seq><rdf:li>2</rdf:li></rdf:Seq></darktable:colorlabels>\n",
            Decision(None, 0, "red"),
        ),
        ('xmp:CreatorTool="x"', "", None),  # nothing recorded
    ],
)
def test_read_mappings(tmp_path, attrs, elements, expected):
    side = tmp_path / "IMG_1.xmp"
    side.write_bytes(make_xmp(attrs, elements))
    photo = tmp_path / "IMG_1.JPG"
    assert read_xmp(side)[0] == expected
    if expected is not None:
        assert read_decision(photo) == expected


def test_read_across_multiple_descriptions(tmp_path):
    side = tmp_path / "a.xmp"
    side.write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="2"/>'
        b'<rdf:Description rdf:about="" xmlns:d="http://www.digikam.org/ns/1.0/"><d:PickLabel>3</d:PickLabel>'
        b"</rdf:Description>"
        b'<rdf:Description rdf:about="" xmlns:xap="http://ns.adobe.com/xap/1.0/"><xap:Label>Blue</xap:Label>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert read_xmp(side)[0] == Decision("pick", 2, "blue")


def _jpeg_with_xmp(path: Path, packet: bytes) -> None:
    Image.new("RGB", (16, 16), (200, 40, 40)).save(path, "JPEG")
    data = path.read_bytes()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:2] + segment + data[2:])


PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4" xmp:Label="Yellow"/>'
    b"</rdf:RDF></x:xmpmeta>" + b" " * 200 + b'<?xpacket end="w"?>'
)


def test_read_embedded_jpeg_app1(tmp_path):
    photo = tmp_path / "P1000001.JPG"
    _jpeg_with_xmp(photo, PACKET)
    with Image.open(photo) as im:  # still a valid JPEG
        im.load()
    assert read_decision(photo) == Decision(None, 4, "yellow")
    # A sidecar wins over the embedded packet.
    (tmp_path / "P1000001.xmp").write_bytes(make_xmp('xmp:Rating="1"'))
    assert read_decision(photo) == Decision(None, 1, None)


@needs_exiftool
def test_embedded_jpeg_is_what_exiftool_reads(tmp_path):
    photo = tmp_path / "a.jpg"
    _jpeg_with_xmp(photo, PACKET)
    info = exiftool_json(photo, "-XMP:Rating", "-XMP:Label")
    assert (info["XMP-xmp:Rating"], info["XMP-xmp:Label"]) == (4, "Yellow")


def test_read_embedded_tiff_and_unknown_format(tmp_path):
    tif = tmp_path / "scan.tif"
    Image.new("RGB", (8, 8)).save(tif, tiffinfo={700: PACKET})
    assert read_decision(tif) == Decision(None, 4, "yellow")
    raw = tmp_path / "IMG_1.CR3"  # ISO-BMFF here: found by scanning the first megabytes
    raw.write_bytes(os.urandom(5000) + PACKET + os.urandom(5000))
    assert read_decision(raw) == Decision(None, 4, "yellow")
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (8, 8)).save(plain)
    assert read_decision(plain) is None


def test_darktable_style_names(tmp_path):
    raw, jpg = tmp_path / "IMG_0002.CR2", tmp_path / "IMG_0002.JPG"
    raw.write_bytes(b"raw")
    Image.new("RGB", (8, 8)).save(jpg)
    shutil.copy(DATA / "darktable.xmp", tmp_path / "IMG_0002.CR2.xmp")
    assert read_decision(raw) == Decision(None, 1, "green")
    assert read_decision(jpg) is None  # IMG_0002.CR2.xmp belongs to the RAW only
    out = write_sidecar(jpg, Decision("pick", 2, None), style="darktable")
    assert out == tmp_path / "IMG_0002.JPG.xmp"
    assert read_decision(jpg) == Decision("pick", 2, None)
    assert read_decision(raw) == Decision(None, 1, "green")


# ----------------------------------------------------------------------------- writing


def test_new_sidecar_has_packet_wrapper_and_round_trips(tmp_path):
    photo = tmp_path / "IMG_1.CR2"
    photo.write_bytes(b"raw bytes")
    out = write_sidecar(photo, Decision("pick", 4, "green"), RANK)
    assert out == tmp_path / "IMG_1.xmp"
    text = out.read_bytes()
    assert text.startswith(b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>')
    assert text.rstrip().endswith(b'<?xpacket end="w"?>')
    assert b'xmlns:phototriage="https://phototriage.app/ns/1.0/"' in text
    assert read_xmp(out) == (Decision("pick", 4, "green"), RANK)
    assert photo.read_bytes() == b"raw bytes"


@needs_exiftool
@pytest.mark.parametrize(
    "decision, rating, label, pick",
    [
        (Decision("pick", 4, "green"), 4, "Green", 3),
        (Decision("reject", 3, "red"), -1, "Red", 1),
        (Decision(None, 0, None), None, None, None),  # undecided: no misleading Rating 0 or PickLabel
        (Decision(None, 5, "purple"), 5, "Purple", None),
        (Decision("pick", 0, None), 1, "Green", 3),  # the default pick expression: Green and at least one star
        (Decision("pick", 2, "red"), 2, "Red", 3),  # the user's own label and stars win
    ],
)
def test_exiftool_reads_what_we_wrote(tmp_path, decision, rating, label, pick):
    out = write_sidecar(tmp_path / "IMG_1.CR2", decision, RANK)
    # The exact command from the interop checklist, without -n: exiftool's printed values.
    res = subprocess.run(
        [EXIFTOOL, "-j", "-XMP:Rating", "-XMP:Label", "-XMP-digiKam:PickLabel", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    info = json.loads(res.stdout)[0]
    assert info.get("Rating") == rating
    assert info.get("Label") == label
    assert info.get("PickLabel") == pick
    assert read_xmp(out)[0] == decision
    ours = exiftool_json(out, "-XMP-phototriage:all")
    assert ours["XMP-phototriage:BurstID"] == 7
    assert ours["XMP-phototriage:Rank"] == 1
    assert ours["XMP-phototriage:Score"] == pytest.approx(0.8731)
    assert ours["XMP-phototriage:Model"] == "default-v1"


@needs_exiftool
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_merge_keeps_every_foreign_field_for_exiftool(fixtures, name):
    target = fixtures / name
    before = exiftool_json(target)
    write_sidecar(fixtures / "IMG.CR2", Decision("pick", 5, "purple"), RANK, target=target)
    after = exiftool_json(target)
    assert foreign_tags(after) == foreign_tags(before)
    assert after["XMP-xmp:Rating"] == 5
    assert after["XMP-xmp:Label"] == "Purple"
    assert after["XMP-digiKam:PickLabel"] == 3
    assert after["XMP-phototriage:BurstID"] == 7
    # Other tools' own copies of the same facts are kept consistent where they exist.
    if "XMP-darktable:Colorlabels" in before:
        assert after["XMP-darktable:Colorlabels"] in (4, [4])
    if "XMP-digiKam:ColorLabel" in before:
        assert after["XMP-digiKam:ColorLabel"] == 6
    if "XMP-photomech:Tagged" in before:
        assert after["XMP-photomech:Tagged"] is True
        assert after["XMP-photomech:ColorClass"] == 6
        assert after["XMP-photomech:Prefs"] == "1:6:5:000012"  # its frame number kept
    if "XMP-microsoft:RatingPercent" in before:
        assert after["XMP-microsoft:RatingPercent"] == 99
    assert read_xmp(target) == (Decision("pick", 5, "purple"), RANK)


@needs_exiftool
def test_exiftool_reads_foreign_values_after_merge(fixtures):
    write_sidecar(fixtures / "a", Decision("reject", 0, None), RANK, target=fixtures / "lightroom.xmp")
    info = exiftool_json(fixtures / "lightroom.xmp")
    assert info["XMP-crs:Exposure2012"] == "+0.35"
    assert info["XMP-crs:ToneCurvePV2012"] == ["0, 0", "64, 58", "192, 200", "255, 255"]
    assert info["XMP-dc:Subject"] == ["Lisbon", "tram", "street & travel"]
    assert info["XMP-xmp:Rating"] == -1 and "XMP-xmp:Label" not in info
    write_sidecar(fixtures / "b", Decision(None, 2, None), None, target=fixtures / "darktable.xmp")
    info = exiftool_json(fixtures / "darktable.xmp")
    assert [h["Operation"] for h in info["XMP-darktable:History"]] == ["rawprepare", "exposure", "filmicrgb"]
    assert info["XMP-darktable:History_end"] == 3
    assert "XMP-darktable:Colorlabels" not in info or info["XMP-darktable:Colorlabels"] in ("", [])


# Blocks of each fixture that contain nothing we manage: they must come back byte for byte.
FOREIGN_BLOCKS = {
    "lightroom.xmp": [
        (b"   tiff:Make=", b'crs:CameraProfile="Adobe Standard">'),
        (b"   <xmpMM:History>", b"</dc:creator>"),
    ],
    "darktable.xmp": [
        (b"   <darktable:masks_history>", b"   </darktable:history>"),
        (b"   xmpMM:DerivedFrom", b'history_current_hash="c27bd9bb4b8b8e1a0df0bd1b1e3f8a42">'),
    ],
    "digikam.xmp": [
        (b"   <digiKam:TagsList>", b"   </dc:subject>"),
        (b"   acdsee:categories", b'Categories&gt;">'),
        (b"</x:xmpmeta>", b'<?xpacket end="w"?>'),
    ],  # the padding too
    "captureone.xmp": [
        (b'      <rdf:Description rdf:about=""\n            xmlns:photoshop', b"</Iptc4xmpCore:Location>")
    ],
    "photomechanic.xmp": [
        (b"  photomechanic:PMVersion", b"PMVersion='PM6'>\n</rdf:Description>"),
        (b"<?xpacket begin=", b"x:xmptk='Photo Mechanic 6'>"),
    ],
}
MANAGED_LINE = re.compile(rb"(Rating|Label|PickLabel|ColorLabel|ColorClass|Prefs|Tagged)\b|<rdf:li>\d</rdf:li>")


def _block(data: bytes, start: bytes, end: bytes) -> bytes:
    i = data.index(start)
    return data[i : data.index(end, i) + len(end)]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_merge_is_byte_minimal(fixtures, name):
    target = fixtures / name
    original = target.read_bytes()
    write_sidecar(fixtures / "IMG.CR2", Decision("reject", 0, "yellow"), RANK, target=target)
    merged = target.read_bytes()
    for start, end in FOREIGN_BLOCKS[name]:
        assert _block(original, start, end) in merged
    # Every original line we changed or dropped holds a field we manage; the rest is untouched.
    old_lines, new_lines = original.splitlines(True), merged.splitlines(True)
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            for line in old_lines[i1:i2]:
                assert MANAGED_LINE.search(line), line
    assert merged.startswith(original[: original.index(b"<rdf:Description")])


def test_merge_twice_is_stable_and_updates_in_place(fixtures):
    target = fixtures / "captureone.xmp"
    write_sidecar(fixtures / "a", Decision("pick", 3, "red"), RANK, target=target)
    once = target.read_bytes()
    mtime = target.stat().st_mtime_ns
    write_sidecar(fixtures / "a", Decision("pick", 3, "red"), RANK, target=target)
    assert target.read_bytes() == once and target.stat().st_mtime_ns == mtime
    write_sidecar(fixtures / "a", Decision(None, 1, None), RankInfo(9, 3, 0.25, "personal"), target=target)
    again = target.read_bytes()
    assert again.count(b"<rdf:Description") == once.count(b"<rdf:Description")  # no second block of ours
    assert b"xmp:Label" not in again
    assert read_xmp(target) == (Decision(None, 1, None), RankInfo(9, 3, 0.25, "personal"))


def test_custom_label_is_not_removed(tmp_path):
    target = tmp_path / "a.xmp"
    target.write_bytes(make_xmp('xmp:Rating="2" xmp:Label="Approved"'))
    write_sidecar(tmp_path / "a.jpg", Decision(None, 3, None), target=target)
    assert b'xmp:Label="Approved"' in target.read_bytes()
    assert read_xmp(target)[0] == Decision(None, 3, None)
    write_sidecar(tmp_path / "a.jpg", Decision(None, 3, "blue"), target=target)
    assert b'xmp:Label="Blue"' in target.read_bytes()


def test_unparsable_sidecar_is_refused_and_untouched(fixtures):
    target = fixtures / "corrupt.xmp"
    before, mtime = target.read_bytes(), target.stat().st_mtime_ns
    with pytest.raises(XmpError) as info:
        write_sidecar(fixtures / "IMG.CR2", Decision("pick", 5, None), RANK, target=target)
    assert info.value.path == target and "corrupt.xmp" in str(info.value)
    assert "well-formed" in info.value.reason
    assert target.read_bytes() == before and target.stat().st_mtime_ns == mtime
    assert not [p for p in fixtures.iterdir() if p.name.startswith(files.TEMP_PREFIX)]
    photo = fixtures / "corrupt.CR2"
    photo.write_bytes(b"raw")
    with pytest.raises(XmpError):
        read_decision(photo)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>', "DTD"),
        (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>', "rdf:RDF"),
        ('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "UTF-16"),
        (b"\x89PNG not xml at all", "well-formed"),
    ],
)
def test_other_unusable_sidecars_are_refused(tmp_path, content, reason):
    target = tmp_path / "a.xmp"
    target.write_bytes(content)
    with pytest.raises(XmpError, match=reason):
        write_sidecar(tmp_path / "a.jpg", Decision(None, 1, None), target=target)
    assert target.read_bytes() == content


def test_atomic_write_leaves_no_partial_file(fixtures, monkeypatch):
    target = fixtures / "lightroom.xmp"
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_sidecar(fixtures / "IMG.CR2", Decision("pick", 1, None), RANK, target=target)
    with pytest.raises(OSError):
        write_sidecar(fixtures / "NEW.CR2", Decision("pick", 1, None), RANK)
    assert target.read_bytes() == before
    assert not (fixtures / "NEW.xmp").exists()
    assert not [p for p in fixtures.iterdir() if p.name.startswith(files.TEMP_PREFIX)]


def test_permissions_preserved(fixtures):
    target = fixtures / "digikam.xmp"
    os.chmod(target, 0o640)
    write_sidecar(fixtures / "x", Decision("reject", 0, None), target=target)
    assert target.stat().st_mode & 0o777 == 0o640


def test_never_writes_into_a_photo(tmp_path):
    photo = tmp_path / "IMG_1.JPG"
    _jpeg_with_xmp(photo, PACKET)
    before = photo.read_bytes()
    with pytest.raises(ValueError):
        write_sidecar(photo, Decision("pick", 1, None), target=photo)
    write_sidecar(photo, Decision("pick", 1, None))
    assert photo.read_bytes() == before
    assert read_decision(photo) == Decision("pick", 1, None)  # from the new sidecar


def test_empty_sidecar_is_replaced_and_oddly_formatted_ones_merged(tmp_path):
    empty = tmp_path / "e.xmp"
    empty.write_bytes(b"")
    write_sidecar(tmp_path / "e.jpg", Decision(None, 2, None), target=empty)
    assert read_xmp(empty)[0] == Decision(None, 2, None)
    bare = tmp_path / "b.xmp"
    bare.write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
        b"</x:xmpmeta>"
    )
    write_sidecar(tmp_path / "b.jpg", Decision("pick", 2, "red"), RANK, target=bare)
    assert read_xmp(bare) == (Decision("pick", 2, "red"), RANK)
    # rdf bound to another prefix, attributes in single quotes, an escaped model name.
    odd = tmp_path / "o.xmp"
    odd.write_bytes(
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><R:RDF xmlns:R='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<R:Description R:about='' xmlns:a='http://ns.adobe.com/xap/1.0/' a:Rating='1' a:Nickname='x'/>"
        b"</R:RDF></x:xmpmeta>"
    )
    write_sidecar(
        tmp_path / "o.jpg", Decision(None, 4, None), RankInfo(1, 2, 0.5, 'a "quoted" & <odd> model'), target=odd
    )
    assert b"a:Rating='4'" in odd.read_bytes()
    assert read_xmp(odd) == (Decision(None, 4, None), RankInfo(1, 2, 0.5, 'a "quoted" & <odd> model'))


def test_decision_validation():
    assert Decision(label="Red").label == "red"
    for bad in ({"flag": "maybe"}, {"rating": 6}, {"rating": -1}, {"rating": True}, {"label": "orange"}):
        with pytest.raises(ValueError):
            Decision(**bad)


def test_crlf_sidecar_keeps_its_line_endings(fixtures):
    target = fixtures / "captureone.xmp"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    write_sidecar(fixtures / "a", Decision("pick", 1, None), RANK, target=target)
    merged = target.read_bytes()
    assert merged.count(b"\n") == merged.count(b"\r\n")
    assert read_xmp(target) == (Decision("pick", 1, None), RANK)
