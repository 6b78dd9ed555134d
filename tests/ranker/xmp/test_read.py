"""Tests ranker/xmp/read.py: every tool's decision convention read from a sidecar."""

from __future__ import annotations

import shutil

import pytest

from ranker.xmp import Decision, read_decision, read_xmp, sidecar_path
from tests.ranker.xmp.helpers import FIXTURES, make_xmp


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
