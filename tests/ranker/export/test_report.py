"""Tests ranker/export/report.py: the CSV and JSON report of the selects."""

from __future__ import annotations

import csv
import json

import pytest

from ranker.export import write_report


def test_write_report_csv_and_json(shoot, tmp_path):
    _, items = shoot
    with write_report(items, tmp_path / "r.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0] == {
        "path": str(items[0].files[0]),
        "burst": "3",
        "rank": "1",
        "score": "0.91",
        "flag": "pick",
        "rating": "4",
        "label": "green",
        "exported_to": "",  # a report of the selection alone: nothing was exported
    }
    assert rows[1]["flag"] == "reject" and rows[1]["label"] == ""
    data = json.loads((write_report(items, tmp_path / "r.json")).read_text())
    assert data[1] == {
        "path": str(items[1].files[0]),
        "burst": 3,
        "rank": 2,
        "score": 0.42,
        "flag": "reject",
        "rating": 0,
        "label": None,
        "exported_to": None,
    }
    placed = {items[0].files[0]: tmp_path / "out" / items[0].files[0].name}
    data = json.loads((write_report(items, tmp_path / "after.json", placed)).read_text())
    assert data[0]["exported_to"] == str(placed[items[0].files[0]]) and data[1]["exported_to"] is None
    with pytest.raises(ValueError):
        write_report(items, tmp_path / "r.txt")
