"""Tests ranker/xmp/style.py: how a decision is spelled per style, and what another tool changed since we wrote."""

from __future__ import annotations

import pytest

from ranker.decisions import Decision
from ranker.xmp import read_xmp, write_sidecar
from ranker.xmp.style import XmpStyle, express


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
    from ranker.xmp.style import OUR_FLAG, OUR_PICK_AS, OUR_STARS, RATING, decision_from_props

    # phototriage:PickAs written as an rdf:Seq reaches us as a list inside the value list
    props = {OUR_FLAG: ["pick"], OUR_STARS: ["0"], OUR_PICK_AS: [["both", "green"]]}
    assert decision_from_props(props) is None  # no style we wrote and no standard field: nothing to read
    props[RATING] = ["3"]
    assert decision_from_props(props) == Decision(None, 3, None)  # the standard fields still count


_NS = (
    'xmlns:x="adobe:ns:meta/"',
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:darktable="http://darktable.sf.net/"',
)


def _sidecar(path, attrs: str, labels: list[int] | None = None):
    seq = "".join(f"<rdf:li>{i}</rdf:li>" for i in labels or [])
    body = f"<darktable:colorlabels><rdf:Seq>{seq}</rdf:Seq></darktable:colorlabels>" if labels else ""
    path.write_text(
        f"<x:xmpmeta {_NS[0]}><rdf:RDF {_NS[1]}><rdf:Description {_NS[2]} {attrs}>{body}"
        "</rdf:Description></rdf:RDF></x:xmpmeta>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "attrs, labels, expected",
    [
        ('xmp:Rating="2" xmp:Label="Rot"', None, ("red", "Rot", ())),
        ('xmp:Label="Approved"', None, (None, "Approved", ())),
        ('xmp:Label="Select"', [3], (None, "Select", ())),
        ('xmp:Rating="0"', [0, 2, 4], ("red", None, ("green", "purple"))),
        ('xmp:Label="Blue"', [0, 3], ("blue", None, ("red",))),
    ],
)
def test_label_names_and_darktables_further_labels_are_read(tmp_path, attrs, labels, expected):
    decision, _ = read_xmp(_sidecar(tmp_path / "a.xmp", attrs, labels))
    assert (decision.label, decision.label_name, decision.more_labels) == expected


@pytest.mark.parametrize("style", ["adobe", "darktable", "digikam"])
def test_label_names_held_in_the_catalog_are_written_back(tmp_path, style):
    """A fresh sidecar (an export's, or after the original one was lost) gets them from the decision."""
    decision = Decision("pick", 3, "red", "Rot", ("blue",))
    side = write_sidecar(tmp_path / "a.CR2", decision, style=style)
    back, _ = read_xmp(side)
    assert back == decision and back.names == (
        "Rot" if style != "darktable" else None,  # darktable style writes no xmp:Label of its own
        ("blue",),
    )
    text = side.read_text(encoding="utf-8")
    assert "<rdf:li>0</rdf:li><rdf:li>3</rdf:li>" in text
    approved = write_sidecar(tmp_path / "b.CR2", Decision("pick", 0, None, "Approved"), style="adobe")
    assert 'xmp:Label="Approved"' in approved.read_text(encoding="utf-8")  # not the pick's Green
    assert read_xmp(approved)[0].names == ("Approved", ())


@pytest.mark.timeout(120)
def test_rank_json_shows_label_names_and_export_writes_them_back(tmp_path):
    import json
    import shutil
    import subprocess

    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
    from ranker.export import ExportItem, plan_export, run_export
    from ranker.store.catalog import Catalog
    from tests.fault_files import jpeg_bytes

    shoot, dest = tmp_path / "shoot", tmp_path / "selects"
    shoot.mkdir()
    for name in ("a", "b"):
        (shoot / f"{name}.jpg").write_bytes(jpeg_bytes(seed=ord(name), size=(160, 120)))
    _sidecar(shoot / "a.jpg.xmp", 'xmp:Rating="3" xmp:Label="Rot"', [0, 3])  # darktable's file
    _sidecar(shoot / "b.jpg.xmp", 'xmp:Rating="1" xmp:Label="Approved"')
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = run(rank_shoot(shoot, catalog, options=PipelineOptions(device="cpu")))
    shown = {p["path"].rsplit("/", 1)[-1]: p for b in ranking.to_json()["bursts"] for p in b["photos"]}
    assert (shown["a.jpg"]["label"], shown["a.jpg"]["label_name"], shown["a.jpg"]["more_labels"]) == (
        "red",
        "Rot",
        ["blue"],
    )
    assert (shown["b.jpg"]["label"], shown["b.jpg"]["label_name"], shown["b.jpg"]["more_labels"]) == (
        None,
        "Approved",
        [],
    )
    json.dumps(ranking.to_json())
    items = [ExportItem(p.paths, b.number, p.rank, p.score, p.decision) for b in ranking.bursts for p in b.photos]
    report = run(run_export(plan_export(items, dest, mode="copy", sidecar_style="adobe")))
    assert report.ok, report.summary()
    # Export's own IMG.xmp is new (the darktable file travels beside it): written from the catalog.
    a, _ = read_xmp(dest / "a.xmp")
    b, _ = read_xmp(dest / "b.xmp")
    assert (a.label, a.names) == ("red", ("Rot", ("blue",))) and (b.label, b.names) == (None, ("Approved", ()))
    if shutil.which("exiftool"):
        got = json.loads(
            subprocess.run(
                [
                    "exiftool",
                    "-j",
                    "-XMP:Label",
                    "-XMP-darktable:Colorlabels",
                    str(dest / "a.xmp"),
                    str(dest / "b.xmp"),
                ],
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
        )
        assert got[0]["Label"] == "Rot" and got[0]["Colorlabels"] == [0, 3] and got[1]["Label"] == "Approved"
