"""Tests ranker/xmp/write.py: merge-writing sidecars, every foreign field kept, nothing half written."""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess

import pytest

from ranker.io import files
from ranker.xmp import Decision, RankInfo, XmpError, read_decision, read_xmp, write_sidecar
from tests.ranker.xmp.helpers import EXIFTOOL, FIXTURES, PACKET, exiftool_json, jpeg_with_xmp, make_xmp, needs_exiftool

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


def foreign_tags(info: dict) -> dict:
    return {
        k: v
        for k, v in info.items()
        if k != "SourceFile"
        and not k.startswith(("System:", "ExifTool:", "File:", "XMP-phototriage:"))
        and k not in MANAGED_TAGS
    }


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
    jpeg_with_xmp(photo, PACKET)
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


def test_crlf_sidecar_keeps_its_line_endings(fixtures):
    target = fixtures / "captureone.xmp"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    write_sidecar(fixtures / "a", Decision("pick", 1, None), RANK, target=target)
    merged = target.read_bytes()
    assert merged.count(b"\n") == merged.count(b"\r\n")
    assert read_xmp(target) == (Decision("pick", 1, None), RANK)
