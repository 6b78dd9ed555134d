"""`benchmarks.ranking --clive-eval DIR`: the MOS correlation on every photo of a CLIVE-layout folder."""

from __future__ import annotations

import csv

import pytest
from PIL import ImageFilter

from benchmarks.baselines import LAPLACIAN, Scorers
from benchmarks.common import machine
from benchmarks.ranking.checkpoints import DEFAULT_NAME, find_checkpoints
from benchmarks.ranking.cli import parse_args
from benchmarks.ranking.clive_correlation import run_clive
from benchmarks.ranking.report import report
from ranker.datasets.synthetic import skimage_photo


def _clive_folder(root, blurs):
    """A CLIVE-layout folder: one photo per blur radius, the human score falling as the blur grows."""
    (root / "images").mkdir(parents=True)
    photo = skimage_photo("camera").resize((384, 384))
    with (root / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "mos", "mos_std"])
        for i, radius in enumerate(blurs):
            name = f"{i:03d}.jpg"
            photo.filter(ImageFilter.GaussianBlur(radius)).save(root / "images" / name, quality=92)
            writer.writerow([name, 90 - 10 * i, 5])
    return root


@pytest.mark.timeout(120)
def test_every_photo_of_the_folder_is_scored(tmp_path):
    root = _clive_folder(tmp_path / "held_back", [0, 0.8, 1.6, 2.4, 3.2, 4.0])
    checkpoints, _ = find_checkpoints([])
    result = run_clive(checkpoints, Scorers(0, "cpu", False, None), None, root)
    # every photo, whatever its hash split, and no split filter named
    assert result["split"] == "all" and result["photos"] == 6 and result["root"] == str(root)
    # the blur order is the MOS order: sharpness and the default both see it
    assert result["methods"][LAPLACIAN]["spearman"] == pytest.approx(1.0)
    assert result["methods"][DEFAULT_NAME]["spearman"] >= 0.8
    results = {"generators": {}, "verdict": {"beats_every_baseline": True, "details": []}, "clive": result}
    printed = report({**results, "machine": machine("cpu"), "command": "x", "sources": []})
    assert f"every photo of {root} (6 photos" in printed


def test_a_folder_without_the_clive_layout_is_refused_up_front(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    with pytest.raises(SystemExit):
        parse_args(["--clive-eval", str(tmp_path / "photos")])
    assert "no labels.csv and images/" in capsys.readouterr().err
