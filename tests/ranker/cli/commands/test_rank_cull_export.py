"""The headless commands a photographer runs: rank, cull, demo, export — through the real CLI."""

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ranker.cli.main import main
from ranker.decisions import Decision
from ranker.ml.active_model import default_checkpoint_path
from ranker.ml.checkpoint import load_checkpoint
from ranker.store.catalog import Catalog
from tests.ranker.shoots import FRAMES, write_known_shoot


@pytest.fixture(scope="module")
def source_shoot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-shoot")
    best = write_known_shoot(folder, sources=("astronaut", "chelsea", "coffee"), size=320)
    return folder, best


@pytest.fixture
def shoot(source_shoot, tmp_path):
    folder = tmp_path / "shoot"
    shutil.copytree(source_shoot[0], folder)
    return folder, source_shoot[1]


def _json(capsys, *args):
    assert main(["rank", *args, "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


def test_rank_json_has_the_documented_shape(shoot, capsys):
    folder, best = shoot
    data = _json(capsys, str(folder))
    # the verdict's threshold is the margin the shipped default was trained with
    margin = load_checkpoint(default_checkpoint_path()).training_config["margin"]
    assert set(data) == {"model", "bursts", "errors"}
    assert data["model"]["why"] == "shipped offline default"
    assert len(data["bursts"]) == 3
    for burst in data["bursts"]:
        assert burst["kind"] == "burst"
        assert [p["rank"] for p in burst["photos"]] == list(range(1, FRAMES + 1))
        first = burst["photos"][0]
        assert set(first) >= {"path", "rank", "score", "quality", "signals", "effects", "flag", "rating", "label"}
        assert all(p["effects"] for p in burst["photos"])  # each frame against #1 (#1 against #2)
        assert first["path"].startswith(str(folder))
        assert burst["confidence"] in ("clear pick", "close call")
        assert (burst["confidence"] == "clear pick") == (burst["lead"] >= margin)
        qualities = [p["quality"] for p in burst["photos"]]
        assert all(0 <= q <= 100 for q in qualities) and qualities == sorted(qualities, reverse=True)


def test_an_overexposed_frame_is_explained_by_its_exposure_against_the_burst(tmp_path, capsys):
    """Five frames of one scene, one a stop too bright: the part of the model's inputs that costs that
    frame most against #1 is its exposure against the burst, not detail or texture."""
    import numpy as np
    from PIL import Image

    from ranker.datasets.synthetic import skimage_photo
    from tests.synthetic_files import write_jpeg

    base = np.asarray(skimage_photo("coffee").convert("RGB"), np.float32)
    rng = np.random.default_rng(0)
    start = datetime(2026, 6, 1, 12, 0, 0)
    for i in range(5):
        frame = (base + rng.normal(0, 2, base.shape)) * (1.9 if i == 3 else 1.0)
        pixels = Image.fromarray(np.clip(frame, 0, 255).astype(np.uint8))
        write_jpeg(tmp_path / f"IMG_{i}.JPG", pixels, capture_time=start + timedelta(seconds=0.3 * i), subsec=0)
    (burst,) = _json(capsys, str(tmp_path))["bursts"]
    bright = next(p for p in burst["photos"] if p["path"].endswith("IMG_3.JPG"))
    assert bright["rank"] == 5
    assert min(bright["effects"], key=bright["effects"].get) == "exposure_profile vs burst"
    assert bright["effects"]["exposure_profile vs burst"] < -5


def test_rank_prints_bursts_and_writes_csv(shoot, tmp_path, capsys):
    folder, _ = shoot
    assert main(["rank", str(folder), "--csv", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "Model: default" in out and f"Burst 3 (burst, {FRAMES} photos, " in out
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0].startswith("path,burst,kind,confidence,rank,score,quality") and len(lines) == 1 + 3 * FRAMES
    assert "brightness" in lines[0].split(",")


def test_rank_keeps_its_columns_for_long_names(source_shoot, tmp_path, capsys):
    folder = tmp_path / "archive"
    shutil.copytree(source_shoot[0], folder / "2026-06-01-a-wedding-in-the-vineyards-near-the-river")
    shutil.copytree(source_shoot[0], folder / "b")
    assert main(["rank", str(folder), "--recursive"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if ".JPG" in line]
    assert len(rows) == 2 * 3 * FRAMES
    assert len({row.index("·") for row in rows}) == 1  # the stars start in one column, whatever the name


def test_rank_on_an_empty_folder_fails_clearly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["rank", str(tmp_path / "empty")]) == 1
    assert "no supported photos" in capsys.readouterr().err
    assert main(["rank", str(tmp_path / "missing")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_an_output_file_that_cannot_be_written_is_named_with_the_reason(shoot, tmp_path, capsys):
    folder, _ = shoot
    for option in ("--json", "--csv"):
        target = tmp_path / "no-such-folder" / "ranking.out"
        assert main(["rank", str(folder), option, str(target)]) == 1
        err = capsys.readouterr().err
        assert f"cannot write {target}: " in err and "No such file or directory" in err
        assert "unexpected error" not in err
    report = tmp_path / "no-such-folder" / "selects.csv"
    assert main(["export", str(folder), "--top", "1", "--report", str(report)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {report}: No such file or directory" in err and ".part" not in err


def test_cull_picks_the_best_and_never_overrides_the_user(shoot, capsys):
    folder, _ = shoot
    data = _json(capsys, str(folder))
    mine = data["bursts"][0]["photos"][3]["path"]
    with Catalog() as catalog:
        catalog.set_decision(catalog.photo_for_path(mine), Decision(rating=5))
    assert main(["cull", str(folder), "--keep", "1", "--reject-rest"]) == 0
    # every frame but the 3 best and the one the user rated
    assert f"Marked 3 pick(s) and {3 * FRAMES - 4} reject(s)" in capsys.readouterr().out
    data = _json(capsys, str(folder))
    for burst in data["bursts"]:
        assert burst["photos"][0]["flag"] == "pick"
    kept = [p for b in data["bursts"] for p in b["photos"] if p["path"] == mine][0]
    assert kept["flag"] is None and kept["rating"] == 5


def test_export_picks_copies_files_and_sidecars_that_exiftool_reads(shoot, tmp_path, capsys):
    folder, _ = shoot
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert main(["cull", str(folder)]) == 0
    # cull writes the picks into sidecars beside the originals (live write-back); photos are untouched.
    culled = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert {n: h for n, h in culled.items() if not n.endswith(".xmp")} == before
    assert len([n for n in culled if n.endswith(".xmp")]) == 3
    dest = tmp_path / "selects"
    assert main(["export", str(folder), "--to", str(dest), "--picks", "--report", str(tmp_path / "sel.json")]) == 0
    exported = sorted(p.name for p in dest.iterdir())
    assert len([n for n in exported if n.endswith(".JPG")]) == 3
    assert len([n for n in exported if n.endswith(".xmp")]) == 3
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == culled
    report = json.loads((tmp_path / "sel.json").read_text())
    assert len(report) == 3 if isinstance(report, list) else report
    assert sorted(Path(row["exported_to"]).name for row in report) == sorted(n for n in exported if n.endswith(".JPG"))
    assert all(Path(row["exported_to"]).parent == dest for row in report)
    if shutil.which("exiftool"):
        sidecar = next(dest.glob("*.xmp"))
        out = subprocess.run(
            ["exiftool", "-j", "-XMP-digiKam:PickLabel", "-XMP:Rating", str(sidecar)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(out)[0]["PickLabel"] == 3
        photo = dest / sidecar.name.replace(".xmp", ".JPG")  # its JPEG carries the same XMP inside
        out = subprocess.run(
            ["exiftool", "-j", "-XMP:Rating", "-XMP:Label", "-XMP-digiKam:PickLabel", str(photo)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert {k: v for k, v in json.loads(out)[0].items() if k != "SourceFile"} == {
            "Rating": 1,
            "Label": "Green",
            "PickLabel": 3,
        }


def test_a_move_report_says_where_each_photo_is_now(shoot, tmp_path):
    """After --move the source paths are gone: each row names the file it moved to, and that file is there."""
    folder, _ = shoot
    dest = tmp_path / "moved"
    assert (
        main(["export", str(folder), "--to", str(dest), "--top", "1", "--move", "--report", str(tmp_path / "m.csv")])
        == 0
    )
    with (tmp_path / "m.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3
    for row in rows:
        assert not Path(row["path"]).exists() and Path(row["exported_to"]).is_file()
        assert Path(row["exported_to"]).parent == dest and Path(row["exported_to"]).name == Path(row["path"]).name


def test_export_into_the_shoot_folder_itself_is_refused(shoot, capsys):
    folder, _ = shoot
    before = sorted(p.name for p in folder.iterdir())
    assert main(["export", str(folder), "--to", str(folder), "--top", "1"]) == 1
    assert "is the folder the photos are in" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == before


def test_export_dry_run_touches_nothing(shoot, tmp_path, capsys):
    folder, _ = shoot
    dest = tmp_path / "never"
    assert main(["export", str(folder), "--to", str(dest), "--top", "1", "--dry-run"]) == 0
    assert "DSC_" in capsys.readouterr().out
    assert not dest.exists()


def test_demo_writes_a_shoot_that_ranks(tmp_path, capsys):
    dest = tmp_path / "demo"
    assert main(["demo", str(dest)]) == 0
    assert len(list(dest.glob("*.JPG"))) >= 50
    assert main(["demo", str(dest)]) == 1  # never writes into a non-empty folder
    capsys.readouterr()
    data = _json(capsys, str(dest))
    kinds = [b["kind"] for b in data["bursts"]]
    assert "bracket" in kinds and kinds.count("burst") >= 9


def test_entry_point_runs_headless_without_qt(shoot):
    folder, _ = shoot
    code = (
        "import sys; from phototriage_gui.__main__ import main; rc = main(['rank', sys.argv[1], '--quiet']);"
        "assert not any(m.startswith('PySide6') for m in sys.modules); sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Burst 1" in result.stdout


def test_rating_written_by_another_tool_after_the_scan_is_never_lost(shoot, tmp_path, capsys):
    """Issue 14 case 2: rank, then Lightroom writes a sidecar, then export --move: the export carries it."""
    import os
    import time

    from ranker.xmp import read_xmp

    folder, _ = shoot
    data = _json(capsys, str(folder))
    photo = folder / os.path.basename(data["bursts"][0]["photos"][0]["path"])
    sidecar = photo.with_suffix(".xmp")
    sidecar.write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4" '
        b'xmp:Label="Red"/></rdf:RDF></x:xmpmeta>'
    )
    later = time.time() + 5
    os.utime(sidecar, (later, later))
    data = _json(capsys, str(folder))  # rank --json shows what Lightroom wrote
    mine = [p for b in data["bursts"] for p in b["photos"] if p["path"] == str(photo)][0]
    assert (mine["rating"], mine["label"]) == (4, "red")
    dest = tmp_path / "moved"
    assert main(["export", str(folder), "--to", str(dest), "--move", "--min-rating", "4"]) == 0
    assert not photo.exists()
    assert read_xmp(dest / sidecar.name)[0] == Decision(None, 4, "red")
