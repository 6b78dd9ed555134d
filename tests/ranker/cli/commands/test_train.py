"""`phototriage train --dataset DIR` end to end on a miniature PhotoTriage release."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ranker.cli.commands.train import CHECKPOINT_NAME, RESULTS_NAME, _model_config
from ranker.cli.main import build_parser, main
from ranker.datasets.phototriage_features import FEATURE_CACHE_NAME
from ranker.ml.checkpoint import load_checkpoint
from tests.ranker.seed_api import SEED_METADATA_KEYS

REPO = Path(__file__).resolve().parents[4]
IQA_ONLY = ["--use_clip", "false", "--use_cnn_features", "false", "--use_iqa_features", "true"]
#: the seed's IQA-only command, verbatim apart from --dataset and --output_dir
SEED_IQA_COMMAND = [*IQA_ONLY, "--mlp_hidden_dims", "8", "--max_epochs", "3", "--quick_experiment", "0.05"]
#: a full (miniature) run that learns: every series, a few more epochs
FULL_RUN = [
    *IQA_ONLY,
    "--mlp_hidden_dims",
    "16",
    "--max_epochs",
    "20",
    "--batch_size",
    "8",
    "--learning_rate",
    "0.01",
    "--quiet",
]
#: how the seed loaded a trained model
SEED_LOADING_SNIPPET = """
import torch
from ranker import MultiFeatureConfig, MultiFeaturePairwiseRanker

checkpoint = torch.load(checkpoint_path, map_location="cpu")
config = MultiFeatureConfig(**checkpoint["config"])
model = MultiFeaturePairwiseRanker(config)
model.load_state_dict(checkpoint["model_state_dict"])
model.eval()
metadata = checkpoint["architecture"]
print(f"Loaded {metadata['architecture_type']} model: {metadata['architecture_summary']}")
"""


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/ranker/conftest.py


def train(capsys, dataset: Path, out: Path, *flags: str) -> tuple[int, str, str]:
    code = main(["train", "--dataset", str(dataset), "--output_dir", str(out), *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def results_of(out: Path) -> dict:
    return json.loads((out / RESULTS_NAME).read_text(encoding="utf-8"))


def photo_count(expected: dict) -> int:
    from tests.mini_dataset import SPLITS

    return sum(4 if series % 2 == 0 else 3 for series_range in SPLITS.values() for series in series_range)


def test_seed_iqa_command_runs_through_the_entry_point(pristine, tmp_path):
    out = tmp_path / "run"
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ranker",
            "train",
            "--dataset",
            str(pristine.root),
            "--output_dir",
            str(out),
            *SEED_IQA_COMMAND,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # see one_thread
    assert proc.returncode == 0, proc.stderr
    assert time.perf_counter() - started < 60
    results = results_of(out)
    assert results["architecture_type"] == "siamese" and results["embedding_dim"] == 8
    assert results["architecture"]["architecture_type"] == "siamese"
    payload = torch.load(out / CHECKPOINT_NAME, map_location="cpu", weights_only=True)
    assert payload["architecture"]["architecture_type"] == "siamese"
    assert payload["architecture"]["embedding_dim"] == 8
    assert results["epochs_run"] <= 3 and len(results["history"]) == results["epochs_run"]
    # the seeded 5% draw still keeps whole series, at least one per split
    for counts in results["counts"].values():
        assert counts["series_selected"] == 1
        assert (
            counts["used"]
            + counts["ambiguous"]
            + counts["outside_selection"]
            + counts["missing_image"]
            + counts["unreadable_image"]
            == counts["lines"]
        )
    assert "outside the --quick_experiment draw" in proc.stdout
    assert "train epoch 1" in proc.stdout  # one line per epoch; tqdm's bar goes to stderr
    loaded = load_checkpoint(out / CHECKPOINT_NAME)
    assert loaded.metadata["embedding_dim"] == 8
    assert [f["name"] for f in loaded.feature_set] == ["iqa"]


def test_training_learns_and_reports_everything(pristine, tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, stderr = train(capsys, pristine.root, out, *FULL_RUN)
    assert code == 0, stderr
    results = results_of(out)
    losses = [record["train_loss"] for record in results["history"]]
    assert min(losses[1:]) < losses[0]  # the loss falls
    assert results["pairwise_accuracy"]["val"] > 0.5  # beats chance
    assert results["pairwise_accuracy"]["train"] > 0.5
    assert results["pairwise_accuracy"]["test"] is not None

    for name, expected in pristine.expected.items():
        counts = results["counts"][name]
        assert counts["lines"] == expected["lines"]
        assert counts["ambiguous"] == expected["ambiguous"]
        assert counts["used"] == expected["lines"] - expected["ambiguous"]
        assert counts["missing_image"] == counts["unreadable_image"] == counts["outside_selection"] == 0
    assert results["pairs_dropped_ambiguous"] == sum(e["ambiguous"] for e in pristine.expected.values())
    assert results["pairs_skipped"] == 0
    assert "dropped as ambiguous (0.3 <= P <= 0.7)" in stdout and "pairwise accuracy" in stdout

    meta = results["architecture"]
    assert SEED_METADATA_KEYS <= set(meta)
    assert meta["architecture_summary"] == "Features(4) → Siamese(16) → Score(1) [embedding_dim=16]"
    loaded = load_checkpoint(out / CHECKPOINT_NAME)
    assert meta["total_parameters"] == sum(p.numel() for p in loaded.model.parameters())
    assert loaded.metadata == meta
    assert results["feature_set"] == loaded.feature_set
    assert results["training_config"]["margin"] == 0.5 and results["training_config"]["max_epochs"] == 20
    assert set(results["timing"]) == {"extraction_seconds", "training_seconds", "total_seconds"}
    assert results["extraction"]["decoded"] == photo_count(pristine.expected)
    assert loaded.info["built_by"] == "phototriage train"
    assert loaded.info["pairwise_accuracy"] == results["pairwise_accuracy"]


def test_a_rerun_extracts_nothing(pristine, tmp_path, capsys, app_dirs):
    first_code, _, _ = train(capsys, pristine.root, tmp_path / "one", *FULL_RUN, "--max_epochs", "1")
    code, stdout, _ = train(capsys, pristine.root, tmp_path / "two", *FULL_RUN, "--max_epochs", "1")
    assert first_code == code == 0
    extraction = results_of(tmp_path / "two")["extraction"]
    assert extraction["decoded"] == 0 and extraction["cached"] == photo_count(pristine.expected)
    assert "0 analysed" in stdout
    cache = Path(results_of(tmp_path / "two")["options"]["feature_cache"])
    assert cache.name == FEATURE_CACHE_NAME and cache.is_file()


def test_seed_loading_snippet_runs_against_a_trained_checkpoint(pristine, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = train(capsys, pristine.root, out, *FULL_RUN, "--max_epochs", "2")
    assert code == 0, err
    scope = {"checkpoint_path": str(out / CHECKPOINT_NAME)}
    exec(SEED_LOADING_SNIPPET, scope)  # noqa: S102 - the snippet is this file's own constant
    assert "Loaded siamese model: Features(4)" in capsys.readouterr().out
    features = torch.randn(6, 4)
    expected = load_checkpoint(out / CHECKPOINT_NAME).model(features)
    with torch.no_grad():
        torch.testing.assert_close(scope["model"](features), expected, rtol=0, atol=0)


def test_all_features_stop_at_once_with_the_download_hint(pristine, tmp_path, capsys, monkeypatch, app_dirs):
    import ranker.engines.local_engine

    def no_decoding(*args, **kwargs):
        raise AssertionError("nothing may be decoded when weights are missing")

    monkeypatch.setattr(ranker.engines.local_engine, "load_photo", no_decoding)
    out = tmp_path / "run"
    started = time.perf_counter()
    code, stdout, stderr = train(
        capsys,
        pristine.root,
        out,
        "--use_clip",
        "true",
        "--use_cnn_features",
        "true",
        "--use_iqa_features",
        "true",
        "--mlp_hidden_dims",
        "512",
        "256",
    )
    assert time.perf_counter() - started < 5
    assert code != 0
    assert "phototriage models download clip" in stderr and "phototriage models download cnn" in stderr
    assert "Traceback" not in stderr + stdout
    assert not out.exists()
    assert not list(app_dirs.rglob(FEATURE_CACHE_NAME))


def test_extra_features_flag():
    args = build_parser().parse_args(["train", "--dataset", "d", *IQA_ONLY, "--extra_features", "noise", "pyiqa:piqe"])
    assert _model_config(args).feature_names == ["iqa", "noise", "pyiqa:piqe"]
    defaults = build_parser().parse_args(["train", "--dataset", "d"])
    assert (defaults.use_clip, defaults.use_cnn_features, defaults.use_iqa_features) == (True, True, True)
    assert defaults.mlp_hidden_dims == [512, 256] and defaults.ambiguity_band == [0.3, 0.7]
    assert build_parser().parse_args(["train", "--dataset", "d", "--use_clip"]).use_clip is True


def test_extra_feature_trains_end_to_end(pristine, tmp_path, capsys):
    code, _, err = train(
        capsys,
        pristine.root,
        tmp_path / "run",
        *FULL_RUN,
        "--max_epochs",
        "1",
        "--extra_features",
        "noise",
        "--quick_experiment",
        "0.3",
    )
    assert code == 0, err
    results = results_of(tmp_path / "run")
    assert [f["name"] for f in results["feature_set"]] == ["iqa", "noise"]
    assert results["architecture"]["input_dim"] == 5


def test_burst_context_trains_end_to_end_against_each_series(pristine, tmp_path, capsys, monkeypatch):
    from ranker.cli.commands import train as train_module
    from ranker.datasets.phototriage import series_of

    assert series_of("000012-03.JPG") == "000012"
    seen = {}
    original = train_module.build_pair_sets

    def spy(splits, fingerprints, catalog, config):
        sets = original(splits, fingerprints, catalog, config)
        seen.update({name: (sorted(split.images), sets[name].features) for name, split in splits.items()})
        return sets

    monkeypatch.setattr(train_module, "build_pair_sets", spy)
    code, _, err = train(
        capsys, pristine.root, tmp_path / "run", *FULL_RUN, "--max_epochs", "1", "--burst_context", "true"
    )
    assert code == 0, err
    results = results_of(tmp_path / "run")
    assert [(f["name"], bool(f.get("burst_context"))) for f in results["feature_set"]] == [
        ("iqa", False),
        ("exposure_profile", True),
    ]
    assert results["architecture"]["input_dim"] == 4 + 8
    for images, features in seen.values():  # each photo's deviation is from its own series' median
        for series in {series_of(image) for image in images}:
            rows = [i for i, image in enumerate(images) if series_of(image) == series]
            np.testing.assert_allclose(np.median(features[rows, 4:8], axis=0), 0.0, atol=1e-6)
    assert build_parser().parse_args(["train", "--dataset", "d"]).burst_context is False


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--quick_experiment", "0"], "--quick_experiment must be a fraction"),
        (["--ambiguity_band", "0.8", "0.2"], "0 <= LOW <= HIGH <= 1"),
        (["--max_epochs", "0"], "--max_epochs must be at least 1"),
        (["--extra_features", "nois"], "Did you mean 'noise'"),
        (["--use_iqa_features", "false"], "feature set is empty"),
    ],
)
def test_bad_options_give_a_message(pristine, tmp_path, capsys, flags, message):
    code, _, stderr = train(capsys, pristine.root, tmp_path / "run", *FULL_RUN, *flags)
    assert code == 1
    assert message in stderr and "Traceback" not in stderr


def test_bad_boolean_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "d", "--use_clip", "maybe"])
    assert info.value.code == 2
    assert "expected true or false" in capsys.readouterr().err


def test_missing_dataset_folder(tmp_path, capsys):
    code, _, stderr = train(capsys, tmp_path / "absent", tmp_path / "run", *FULL_RUN)
    assert code == 1 and "dataset folder not found" in stderr
    assert not (tmp_path / "run").exists()


def test_missing_pair_list(mini, tmp_path, capsys):
    mini.pairlist("train").unlink()
    code, _, stderr = train(capsys, mini.root, tmp_path / "run", *FULL_RUN)
    assert code == 1 and "train split is incomplete" in stderr and "train_pairlist.txt" in stderr


def test_malformed_line_names_file_and_line(mini, tmp_path, capsys):
    path = mini.pairlist("val")
    lines = path.read_text().splitlines()
    lines[1] = "9 1 two 0.9"
    path.write_text("\n".join(lines) + "\n")
    code, _, stderr = train(capsys, mini.root, tmp_path / "run", *FULL_RUN)
    assert code == 1
    assert f"{path}:2: B 'two' is not a whole number" in stderr


def test_missing_and_unreadable_images_are_skipped_counted_and_reported(mini, tmp_path, capsys):
    (mini.image_dir / "000001-02.JPG").unlink()  # series 1 has 3 photos: 2 pairs name it
    (mini.image_dir / "000003-01.JPG").write_bytes(b"\xff\xd8 not really a jpeg")  # 2 pairs name it
    out = tmp_path / "run"
    code, stdout, stderr = train(capsys, mini.root, out, *FULL_RUN, "--max_epochs", "2")
    assert code == 0, stderr
    counts = results_of(out)["counts"]["train"]
    assert counts["missing_image"] == 2 and counts["unreadable_image"] == 2
    assert counts["used"] == counts["lines"] - counts["ambiguous"] - 4
    assert "skipped (missing image)" in stdout and "000001-02.JPG" in stdout
    assert "skipped (unreadable image)" in stdout and "000003-01.JPG" in stdout
    results = results_of(out)
    assert results["pairs_skipped"] == 4 and results["extraction"]["unreadable"] == 1
    assert any("000003-01.JPG" in s for s in results["skipped_pairs"]["train"]["unreadable_image"])
    assert any("000001-02.JPG" in s for s in results["skipped_pairs"]["train"]["missing_image"])


def test_empty_validation_split_is_an_error(mini, tmp_path, capsys):
    mini.pairlist("val").write_text("")
    code, _, stderr = train(capsys, mini.root, tmp_path / "run", *FULL_RUN)
    assert code == 1 and "val split is empty" in stderr


def test_split_emptied_by_the_band_says_why(mini, tmp_path, capsys):
    code, _, stderr = train(capsys, mini.root, tmp_path / "run", *FULL_RUN, "--ambiguity_band", "0", "1")
    assert code == 1 and "no usable pair" in stderr and "ambiguous" in stderr


def test_release_without_test_split(mini, tmp_path, capsys):
    shutil.rmtree(mini.root / "test")
    out = tmp_path / "run"
    code, stdout, stderr = train(capsys, mini.root, out, *FULL_RUN, "--max_epochs", "1")
    assert code == 0, stderr
    assert "no test/ folder" in stdout
    results = results_of(out)
    assert results["pairwise_accuracy"]["test"] is None and "test" not in results["counts"]
