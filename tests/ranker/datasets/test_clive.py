"""CLIVE reader (ranker/datasets/clive.py): a deterministic, disjoint split by file name; clean skips when absent."""

from __future__ import annotations

import pytest

from ranker.datasets import clive


def test_split_is_deterministic_disjoint_and_roughly_60_20_20():
    names = [f"{i}.JPG" for i in range(3000)]
    splits = [clive.split_of(n) for n in names]
    assert splits == [clive.split_of(n) for n in names]
    share = {s: splits.count(s) / len(names) for s in clive.SPLITS}
    assert abs(share["train"] - 0.6) < 0.04 and abs(share["val"] - 0.2) < 0.03 and abs(share["test"] - 0.2) < 0.03


def test_load_reads_labels_and_filters_by_split(tmp_path):
    (tmp_path / "images").mkdir()
    rows = ["image,mos,mos_std"]
    for i in range(40):
        (tmp_path / "images" / f"{i}.png").write_bytes(b"")
        rows.append(f"{i}.png,{i * 2.5},10")
    rows.append("missing.png,50,10")  # listed but absent: left out
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    assert clive.is_available(tmp_path)
    every = clive.load(tmp_path)
    assert len(every) == 40 and every[0].mos == 0.0
    parts = [clive.load(tmp_path, split) for split in clive.SPLITS]
    assert sum(len(p) for p in parts) == 40
    assert all(clive.split_of(p.path.name) == split for split, part in zip(clive.SPLITS, parts) for p in part)
    with pytest.raises(ValueError, match="unknown split"):
        clive.load(tmp_path, "holdout")


def test_absent_data_is_reported_not_crashed(tmp_path):
    assert not clive.is_available(tmp_path)
    with pytest.raises(FileNotFoundError, match="labels.csv"):
        clive.load(tmp_path)


def test_the_shared_copy_when_present_has_its_notice():
    root = clive.default_root()
    if not clive.is_available(root):
        pytest.skip(f"no CLIVE data at {root}")
    assert "UNIVERSITY OF TEXAS AT AUSTIN" in (root / "README.txt").read_text(errors="replace").upper()
    assert len(clive.load(root, "test")) > 50
