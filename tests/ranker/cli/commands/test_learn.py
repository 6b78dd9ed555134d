"""`phototriage learn` end to end on a small generated shoot: rank, learn a taste, rank again."""

from __future__ import annotations

import datetime as dt
import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ranker.cli import main as cli
from ranker.datasets.synthetic import exif_bytes, handheld_frame, skimage_photo, training_photos_dir
from ranker.decisions import Decision
from ranker.ml import personal_models
from ranker.ml.active_model import active_personal_path
from ranker.store.catalog import Catalog

SATURATION = (0.6, 0.85, 1.1, 1.35)  # the four frames of every burst; the simulated user prefers muted colour


def saturate(image: Image.Image, factor: float) -> Image.Image:
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    luma = (rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))[..., None]
    return Image.fromarray((np.clip(luma + factor * (rgb - luma), 0, 1) * 255 + 0.5).astype(np.uint8))


@pytest.fixture(scope="module")
def shoot(tmp_path_factory) -> tuple[Path, dict[str, float]]:
    """12 bursts of 4 frames of one colour scene each, differing only in saturation (and hand-held framing)."""
    dest = tmp_path_factory.mktemp("shoot")
    rng = np.random.default_rng(11)
    scenes = [skimage_photo(n) for n in ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left")]
    scenes += [Image.open(p).convert("RGB") for p in sorted(training_photos_dir().glob("*.jpg"))]
    scenes = [s for s in scenes if np.asarray(s, dtype=np.float32).std(axis=2).mean() > 3][:12]
    assert len(scenes) == 12
    when = dt.datetime(2024, 6, 1, 9, 0, 0)
    levels, counter = {}, 1
    for scene in scenes:
        base = scene.copy()
        base.thumbnail((240, 240))
        for factor in rng.permutation(SATURATION):
            frame = saturate(handheld_frame(base, rng, 200, max_shift=3), float(factor))
            name = f"IMG_{counter:04d}.JPG"
            frame.save(dest / name, quality=92, exif=exif_bytes(when))
            levels[name] = float(factor)
            counter += 1
            when += dt.timedelta(milliseconds=300)
        when += dt.timedelta(minutes=5)
    return dest, levels


def rank_json(folder: Path, out: Path) -> dict:
    assert cli.main(["rank", str(folder), "--quiet", "--json", str(out)]) == 0
    return json.loads(out.read_text())


def top_is_most_muted(ranking: dict, levels: dict[str, float]) -> int:
    bursts = [b for b in ranking["bursts"] if len(b["photos"]) > 1]
    assert len(bursts) == 12
    return sum(
        levels[Path(b["photos"][0]["path"]).name] == min(levels[Path(p["path"]).name] for p in b["photos"])
        for b in bursts
    )


def write_choices(path: Path, levels: dict[str, float], relative: bool, folder: Path) -> int:
    names = sorted(levels)
    lines = []
    for start in range(0, len(names), 4):
        for a, b in combinations(names[start : start + 4], 2):
            winner, loser = (a, b) if levels[a] < levels[b] else (b, a)
            lines.append(
                {
                    "winner": winner if relative else str(folder / winner),
                    "loser": loser if relative else str(folder / loser),
                }
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)


def test_learn_then_rank_puts_the_users_taste_first(shoot, tmp_path, capsys):
    folder, levels = shoot
    before = rank_json(folder, tmp_path / "before.json")
    assert before["model"]["why"] == "shipped offline default"
    capsys.readouterr()
    choices = folder / "choices.jsonl"  # relative paths: resolved against the file's folder
    count = write_choices(choices, levels, relative=True, folder=folder)
    assert cli.main(["learn", "--choices", str(choices), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"Learning from {count} pairs: {count} choices from the file." in out
    assert "Held-out agreement with" in out and "before" in out and "after" in out
    assert "Activated personal model v1" in out
    after = rank_json(folder, tmp_path / "after.json")
    assert after["model"]["why"] == "your active personal model"
    assert after["model"]["key"] != before["model"]["key"]  # new model, scores recomputed
    muted_before, muted_after = top_is_most_muted(before, levels), top_is_most_muted(after, levels)
    assert muted_after >= 10 and muted_after > muted_before + 3, (muted_before, muted_after)

    # revert: the default's cached scores come back unchanged
    assert cli.main(["models", "personal", "revert"]) == 0
    again = rank_json(folder, tmp_path / "again.json")
    assert again["model"]["key"] == before["model"]["key"]
    assert [[p["path"] for p in b["photos"]] for b in again["bursts"]] == [
        [p["path"] for p in b["photos"]] for b in before["bursts"]
    ]


def test_learn_from_the_catalogs_choices_and_decisions(shoot, tmp_path, capsys):
    folder, levels = shoot
    rank_json(folder, tmp_path / "r.json")
    catalog = Catalog()
    names = sorted(levels)
    for start in range(0, len(names), 4):
        burst = names[start : start + 4]
        ids = {n: catalog.photo_for_path(folder / n) for n in burst}
        for a, b in combinations(burst, 2):
            winner, loser = (a, b) if levels[a] < levels[b] else (b, a)
            catalog.add_choice(ids[winner], ids[loser])
        catalog.set_decision(ids[min(burst, key=levels.get)], Decision("pick"))
    catalog.close()
    capsys.readouterr()
    assert cli.main(["learn", "--folder", str(folder), "--quiet", "--no-activate"]) == 0
    out = capsys.readouterr().out
    assert "72 compare-view choices" in out  # pick>unflagged pairs duplicate choices: the choice wins
    assert "passed the held-out check and was saved, not activated" in out
    assert personal_models.active_id() is None
    assert cli.main(["learn", "--from-catalog", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Activated personal model v2" in out and "Blur and noise: it still ranks the original first" in out
    assert personal_models.active_id() == "v2"


def test_bad_lines_are_reported_and_too_few_pairs_change_nothing(shoot, tmp_path, capsys):
    folder, levels = shoot
    rank_json(folder, tmp_path / "r.json")
    names = sorted(levels)
    stranger = tmp_path / "not-ranked.jpg"
    Image.new("RGB", (8, 8)).save(stranger)
    lines = [
        json.dumps({"winner": str(folder / names[0]), "loser": str(folder / names[1])}),
        json.dumps({"winner": str(stranger), "loser": str(folder / names[1])}),
        json.dumps({"winner": str(folder / names[2]), "loser": str(folder / names[2])}),
        json.dumps({"winner": str(folder / names[1]), "loser": str(folder / names[0])}),
        json.dumps({"winner": str(folder / names[4]), "loser": str(folder / names[5])}),
        "{oops",
    ]
    choices = tmp_path / "choices.jsonl"
    choices.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert cli.main(["learn", "--choices", str(choices), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "choices.jsonl:2: winner" in err and "rank its folder first" in err
    assert "choices.jsonl:3: a photo cannot be chosen over itself" in err
    assert "choices.jsonl:1: contradicts" in err and "choices.jsonl:4: contradicts" in err
    assert "choices.jsonl:6: not a JSON object" in err
    assert "only 1 usable pair to learn from; at least 10 are needed" in err and "nothing was changed" in err
    assert personal_models.list_models() == [] and active_personal_path() is None


def test_learn_with_nothing_to_learn_from(capsys):
    assert cli.main(["learn", "--quiet"]) == 1
    assert "only 0 usable pairs" in capsys.readouterr().err
    assert cli.main(["learn", "--choices", "/no/such/file.jsonl"]) == 1
    assert "no such choices file" in capsys.readouterr().err


def test_learn_from_a_folder_that_does_not_exist_says_so(tmp_path, capsys):
    missing = tmp_path / "no-such-shoot"
    assert cli.main(["learn", "--quiet", "--folder", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: not a folder" in err and "not been ranked" not in err
