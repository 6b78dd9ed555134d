"""The benchmarks run end to end with a tiny configuration. Structure only: timings are never asserted."""

from __future__ import annotations

import json

import pytest

from benchmarks import learning
from benchmarks.baselines import Scorers
from benchmarks.ranking.bursts import FRAMES, Burst
from benchmarks.ranking.checkpoints import BACKBONE_SETS, DEFAULT_NAME, find_checkpoints
from benchmarks.ranking.cli import main as ranking_main
from benchmarks.ranking.metrics import evaluate
from benchmarks.ranking.phototriage_validation import phototriage_pairs, run_phototriage
from benchmarks.speed.cli import main as speed_main


@pytest.mark.timeout(60)
def test_ranking_benchmark_runs(tmp_path, capsys):
    out = tmp_path / "ranking.json"
    results = ranking_main(
        [
            "--quick",
            "--sources",
            "2",
            "--bursts-per-source",
            "1",
            "--json",
            str(out),
            "--work",
            str(tmp_path / "work"),
            "--no-clive",
        ]
    )
    assert json.loads(out.read_text())["levels"].keys() == {"clear", "subtle"}
    assert results["generators"].keys() == {"independent", "training"}
    assert results["generators"]["training"]["clear"]["pairs"] == 2 * (FRAMES - 1)
    for level in ("clear", "subtle"):
        data = results["levels"][level]  # the independent generator's: 3-5 frames per burst
        assert data["bursts"] == 2 and 2 * 2 <= data["pairs"] <= 2 * 4
        methods = data["methods"]
        assert {"random", "sharpness (Laplacian var.)", "Tenengrad", DEFAULT_NAME} <= set(methods)
        for metrics in methods.values():
            assert 0.0 <= metrics["top1"] <= 1.0 and 0.0 <= metrics["pairwise"] <= 1.0
            lo, hi = metrics["pairwise_ci95"]
            assert lo <= metrics["pairwise"] <= hi
    # pyiqa piqe is either measured or skipped with a reason; backbone rows likewise.
    for row in ("pyiqa piqe", *(name for name, _ in BACKBONE_SETS)):
        assert row in results["levels"]["clear"]["methods"] or row in results["skipped"]
    assert isinstance(results["verdict"]["beats_every_baseline"], bool)
    assert results["sources"] == ["camera", "motorcycle_left"]  # scikit-image photos the default never saw
    assert "BRISQUE-style (NSS + ridge on CLIVE train)" in results["skipped"]
    printed = capsys.readouterr().out
    assert "| method |" in printed and "Machine:" in printed


def test_ranking_metrics_on_known_scores():
    from pathlib import Path

    burst = Burst(
        "clear", "x", Path("."), [Path("a"), Path("b"), Path("c")], Path("b"), ["noise:0.1", "clean:0.00", "shake:8"]
    )
    perfect = evaluate([burst], {Path("a"): 0.0, Path("b"): 1.0, Path("c"): 0.5}, seed=0)
    assert perfect["top1"] == 1.0 and perfect["pairwise"] == 1.0
    tied = evaluate([burst], {Path("a"): 1.0, Path("b"): 1.0, Path("c"): 0.0}, seed=0)
    assert tied["top1"] == 0.5 and tied["pairwise"] == 0.75
    assert tied["pairwise_by_defect"] == {
        "noise": {"accuracy": 0.5, "pairs": 1},
        "shake": {"accuracy": 1.0, "pairs": 1},
    }


def test_phototriage_pairlist_parsing(tmp_path):
    images = tmp_path / "train_val" / "train_val_imgs"
    images.mkdir(parents=True)
    for name in ("000001-01.JPG", "000001-02.JPG", "000002-01.JPG", "000002-03.JPG"):
        (images / name).write_bytes(b"x")
    (tmp_path / "train_val" / "val_pairlist.txt").write_text(
        "1 1 2 0.9 1 2\n1 2 1 0.5 1 1\n2 1 3 0.1 1 2\n2 1 9 0.95 1 2\nnonsense\n"
    )
    pairs, stats = phototriage_pairs(tmp_path)
    assert [(w.name, loser.name) for w, loser, _ in pairs] == [
        ("000001-02.JPG", "000001-01.JPG"),
        ("000002-01.JPG", "000002-03.JPG"),
    ]
    assert stats == {"lines": 5, "ambiguous_dropped": 1, "missing_images": 1, "malformed": 1}


@pytest.fixture(scope="module")
def phototriage_result(tmp_path_factory):
    """The PhotoTriage-validation benchmark run once on a mini release (several tests read it)."""
    from tests.mini_dataset import write_mini_dataset

    release = write_mini_dataset(tmp_path_factory.mktemp("phototriage") / "phototriage")
    checkpoints, _ = find_checkpoints([])
    return run_phototriage(release.root, checkpoints, Scorers(0, "cpu", False, None), None, "cpu", 0)


@pytest.mark.timeout(60)
def test_phototriage_validation_pairs_are_scored_by_every_method(phototriage_result):
    result = phototriage_result
    assert result["pairs"] > 0 and result["ambiguous_dropped"] > 0
    methods = result["methods"]
    assert {"random", "sharpness (Laplacian var.)", DEFAULT_NAME} <= set(methods)
    for metrics in methods.values():
        assert metrics["pairs"] == result["pairs"] and 0.0 <= metrics["pairwise"] <= 1.0
    # the validation photos differ only in blur, which plain Laplacian variance reads right
    assert methods["sharpness (Laplacian var.)"]["pairwise"] >= 0.9


@pytest.mark.timeout(60)
@pytest.mark.xfail(
    strict=True,
    reason="known limitation: the NSS/detail default ranks these synthetic graphic scenes blur-first "
    "(pairwise 0.125 of 8 pairs with the 2026-12-02 default). Cause: the scenes carry pixel grain that the "
    "blur removes, so the sharp frame reads as its series' noisy one; training never blurs grain away "
    "(docs/BENCHMARKS.md). Strict, so a fix shows",
)
def test_default_ranks_the_blur_only_validation_scenes(phototriage_result):
    assert phototriage_result["methods"][DEFAULT_NAME]["pairwise"] >= 0.9


@pytest.mark.timeout(90)
def test_speed_benchmark_runs(tmp_path, capsys):
    out = tmp_path / "speed.json"
    results = speed_main(
        [
            "--quick",
            "--sizes",
            "10,20",
            "--repeats",
            "1",
            "--sources",
            "2",
            "--long-sides",
            "640",
            "--sample",
            "4",
            "--extractors",
            "iqa,noise,descriptor,clip",
            "--in-process",
            "--dng-size",
            "640x480",
            "--grouping-sizes",
            "200,1000",
            "--people",
            "10",
            "--cache-dir",
            str(tmp_path / "photos"),
            "--json",
            str(out),
        ]
    )
    assert json.loads(out.read_text())["config"]["sizes"] == [10, 20]
    for key in ("cpu", "cores", "ram_gib", "torch", "device"):
        assert key in results["machine"]
    assert results["decode"]["jpeg"]["full"]["ms_per_photo"] > 0
    assert results["decode"]["jpeg"]["reduced_512"]["ms_per_photo"] > 0
    assert results["decode"]["thumbnails"][0]["photos_per_s"] > 0
    assert {"iqa", "noise", "descriptor"} <= set(results["extractors"])
    assert "clip" in results["extractors"] or "clip" in results["extractors_skipped"]
    for n in ("10", "20"):
        trial = results["rank"][n]
        assert trial["photos"] == int(n) and trial["errors"] == 0
        assert trial["first_run_stats"]["decoded"] == int(n)
        assert trial["second_run_stats"]["cached"] == int(n)
        assert trial["catalog_bytes_per_1000"] > 0 and trial["peak_rss_mib"] > 0
    ratios = results["ratios"]
    assert ratios["photos"] == 20 and ratios["first_vs_decode"] > 0 and ratios["second_speedup"] > 0
    assert ratios["first_cpu_vs_decode_cpu"] > 0
    people = results["people"]
    assert people["photos"] == 10 and people["errors"] == 0 and people["first_run_stats"]["decoded"] == 10
    assert people["first_cpu_vs_decode_cpu"] > 0
    assert set(results["grouping"]) == {"200", "1000"}
    printed = capsys.readouterr().out
    assert "first run / decode time" in printed and "People-only shoot (10 photos" in printed


@pytest.mark.timeout(120)
def test_learning_benchmark_runs(tmp_path, capsys):
    out = tmp_path / "learning.json"
    learning.main(["--quick", "--taste", "muted", "--json", str(out), "--work", str(tmp_path / "work")])
    data = json.loads(out.read_text())
    assert data["technical_pairs"]["blur"] > 0 and data["technical_pairs"]["noise"] > 0
    curve = data["tastes"]["muted"]["curve"]
    assert [row["choices"] for row in curve] == list(learning.CURVE)
    for row in curve:
        assert 0.0 <= row["active_taste"] <= 1.0 and row["gate"] in ("default model", "passed", "refused")
    assert data["tastes"]["muted"]["timing"]["pairs"] > 0
    assert "simulated taste: muted" in capsys.readouterr().out


@pytest.mark.timeout(120)
def test_interop_benchmark_runs(tmp_path, capsys):
    from benchmarks import interop

    results = interop.main(["--no-darktable", "--work", str(tmp_path / "work"), "--json", str(tmp_path / "i.json")])
    assert json.loads((tmp_path / "i.json").read_text())["darktable_skipped"].startswith("skipped")
    styles = {row["style"] for row in results["rows"]}
    assert styles == {"adobe", "darktable", "digikam", "JPEG copy (embedded)"}
    for row in results["rows"]:  # where a reader is installed, it reads exactly what we meant
        assert row["exiftool_ok"] in (True, None) and row["exiv2_ok"] in (True, None), row


def test_faces_benchmark_on_the_bundled_astronaut_alone():
    from benchmarks import faces

    detection = faces.detection(None)
    assert detection["faces"] == 1 and detection["photos_without"] >= 10
    assert detection["recall"] == 1.0 and detection["false"] == 0
    eyes = faces.eye_openness(None)
    assert eyes["open"] == 1 and eyes["shut"] == 2 and eyes["auc"] == 1.0
