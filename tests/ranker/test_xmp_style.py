"""Tests ranker/xmp_style.py: how a decision is spelled per style, and what another tool changed since we wrote."""

from __future__ import annotations

import pytest

from ranker.decisions import Decision
from ranker.xmp import read_xmp, write_sidecar
from ranker.xmp_style import XmpStyle, express


@pytest.mark.parametrize(
    "style, decision, rating, label, pick",
    [
        (XmpStyle(), Decision("pick"), 1, "green", 3),  # the default: a Lightroom user filters on Green or ★
        (XmpStyle(pick_as="label", pick_label="purple"), Decision("pick"), None, "purple", 3),
        (XmpStyle(pick_as="stars", pick_min_rating=3), Decision("pick", 1, None), 3, None, 3),
        (XmpStyle(), Decision("pick", 4, "red"), 4, "red", 3),  # the user's own stars and label win
        (XmpStyle(), Decision("reject", 3, "blue"), -1, "blue", 1),
        (XmpStyle(), Decision(None, 0, "yellow"), None, "yellow", None),  # no misleading Rating 0
        (XmpStyle("darktable"), Decision(None, 0, "yellow"), 0, "yellow", None),  # darktable needs the 0
    ],
)
def test_express(style, decision, rating, label, pick):
    e = express(decision, style)
    assert (e.rating, e.label, e.pick_label) == (rating, label, pick)


def test_style_validation():
    with pytest.raises(ValueError, match="sidecar style"):
        XmpStyle("lightroom")
    with pytest.raises(ValueError, match="pick_as"):
        XmpStyle(pick_as="flag")
    with pytest.raises(ValueError, match="pick_min_rating"):
        XmpStyle(pick_min_rating=0)
    assert XmpStyle.from_token(XmpStyle("digikam", "stars", "red", 2).token()) == XmpStyle("digikam", "stars", "red", 2)


def _edit(path, old: bytes, new: bytes):
    data = path.read_bytes()
    assert old in data, data
    path.write_bytes(data.replace(old, new))


@pytest.mark.parametrize("style", ["adobe", "darktable", "digikam"])
def test_our_own_file_reads_back_exactly(tmp_path, style):
    for i, decision in enumerate(
        [
            Decision("pick"),
            Decision("pick", 2, "red"),
            Decision("reject", 4, None),
            Decision(None, 5, "purple"),
            Decision(None, 0, "green"),
        ]
    ):
        out = write_sidecar(tmp_path / f"IMG_{i}.CR2", decision, style=XmpStyle(style))
        assert read_xmp(out)[0] == decision


def test_changes_another_tool_made_are_read(tmp_path):
    out = write_sidecar(tmp_path / "a.CR2", Decision("pick"), style=XmpStyle())  # Rating 1, Green
    _edit(out, b'xmp:Rating="1"', b'xmp:Rating="4"')  # Lightroom: 4 stars
    assert read_xmp(out)[0] == Decision("pick", 4, None)  # still a pick; Green is still only the pick's mark
    _edit(out, b'xmp:Label="Green"', b'xmp:Label="Red"')
    assert read_xmp(out)[0] == Decision("pick", 4, "red")
    _edit(out, b'xmp:Rating="4"', b'xmp:Rating="-1"')  # Bridge rejects it
    assert read_xmp(out)[0] == Decision("reject", 0, "red")


def test_unreject_and_unpick_elsewhere(tmp_path):
    out = write_sidecar(tmp_path / "a.CR2", Decision("reject"), style=XmpStyle())
    _edit(out, b'xmp:Rating="-1"', b'xmp:Rating="2"')
    assert read_xmp(out)[0] == Decision(None, 2, None)
    out = write_sidecar(tmp_path / "b.CR2", Decision("pick", 3, None), style=XmpStyle())
    _edit(out, b'digiKam:PickLabel="3"', b'digiKam:PickLabel="0"')  # digiKam removed the pick
    assert read_xmp(out)[0] == Decision(None, 3, None)


def test_darktable_label_list_changes(tmp_path):
    out = write_sidecar(tmp_path / "a.CR2", Decision(None, 2, "red"), style=XmpStyle("darktable"))
    assert b"xmp:Label" not in out.read_bytes()  # darktable would let it override its own list
    _edit(out, b"<rdf:li>0</rdf:li>", b"<rdf:li>3</rdf:li>")  # darktable: red -> blue
    assert read_xmp(out)[0] == Decision(None, 2, "blue")


@pytest.mark.parametrize(
    "name, label",
    [("Rot", "red"), ("Rouge", "red"), ("Grün", "green"), ("Bleu", "blue"), ("Approved", None), ("Select", None)],
)
def test_localised_and_unknown_label_names(tmp_path, name, label):
    side = tmp_path / "a.xmp"
    side.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="2" xmp:Label="{name}"/>'
        "</rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    assert read_xmp(side)[0] == Decision(None, 2, label)
    write_sidecar(tmp_path / "a.CR2", Decision(None, 3, None), target=side)
    if label is None:  # a name outside our five is the user's: never removed
        assert f'xmp:Label="{name}"' in side.read_text(encoding="utf-8")


def test_a_hand_edited_pick_style_list_is_ignored_not_a_crash():
    from ranker.xmp_style import OUR_FLAG, OUR_PICK_AS, OUR_STARS, RATING, decision_from_props

    # phototriage:PickAs written as an rdf:Seq reaches us as a list inside the value list
    props = {OUR_FLAG: ["pick"], OUR_STARS: ["0"], OUR_PICK_AS: [["both", "green"]]}
    assert decision_from_props(props) is None  # no style we wrote and no standard field: nothing to read
    props[RATING] = ["3"]
    assert decision_from_props(props) == Decision(None, 3, None)  # the standard fields still count
