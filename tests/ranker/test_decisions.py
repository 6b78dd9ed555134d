"""Tests ranker/decisions.py: a decision's label names stay consistent with its colour."""

from __future__ import annotations

import json

import pytest

from ranker.decisions import FLAGS, LABELS, Decision, Flag, Label


def test_label_names_are_kept_only_while_they_name_the_label():
    rot = Decision(None, 2, "red", "Rot", ("purple", "blue", "red"))
    assert rot.names == ("Rot", ("blue", "purple"))  # LABELS order, never the label itself
    assert rot == Decision(None, 2, "red")  # the same verdict: names are not part of ==
    assert rot.with_(rating=4).names == ("Rot", ("blue", "purple"))
    assert rot.with_(label="green").names == (None, ("blue", "purple"))  # "Rot" does not name green
    assert rot.with_(label=None).names == (None, ())  # no further labels without a first
    approved = Decision(label_name=" Approved ")
    assert approved.names == ("Approved", ()) and not approved.is_empty
    assert approved.with_(label="red").label_name is None  # a colour chosen here replaces it
    assert Decision(None, 0, "red", "Red").label_name is None  # our own name adds nothing
    assert Decision(None, 0, None, "Rot").label_name is None  # a colour name without that colour


@pytest.mark.parametrize("bad", [{"label_name": 3}, {"label_name": "x" * 65}, {"more_labels": ("orange",)}])
def test_bad_label_names_are_refused(bad):
    with pytest.raises(ValueError):
        Decision(None, 0, "red", **bad)


def test_strings_from_files_become_enum_members_and_stay_plain_text_in_json():
    decision = Decision("pick", 1, "Red", more_labels=("blue",))
    assert decision.flag is Flag.PICK and decision.label is Label.RED and decision.more_labels == (Label.BLUE,)
    assert json.dumps([decision.flag, decision.label]) == '["pick", "red"]'
    assert repr(decision).startswith("Decision(flag='pick', rating=1, label='red',")  # notices read as before
    assert FLAGS == (None, Flag.PICK, Flag.REJECT) and LABELS == (None, *Label)
    with pytest.raises(ValueError, match="flag must be one of"):
        Decision("pxck")
    with pytest.raises(ValueError, match="label must be one of"):
        Decision(label="orange")


def test_decision_validation():
    assert Decision(label="Red").label == "red"
    for bad in ({"flag": "maybe"}, {"rating": 6}, {"rating": -1}, {"rating": True}, {"label": "orange"}):
        with pytest.raises(ValueError):
            Decision(**bad)
