"""Checkpoints: an exact round trip, and a clear refusal of anything that cannot be trusted."""

import pytest
import torch

from ranker.ml.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker

CONFIG = {
    "use_clip": False,
    "use_cnn_features": False,
    "use_iqa_features": True,
    "extra_features": ("noise",),
    "mlp_hidden_dims": (16, 8),
}


@pytest.fixture
def model():
    torch.manual_seed(3)
    model = MultiFeaturePairwiseRanker(MultiFeatureConfig(**CONFIG))
    model.set_normalization(torch.arange(5.0), torch.linspace(0.5, 2.0, 5))
    return model.eval()


@pytest.fixture
def saved(tmp_path, model):
    return save_checkpoint(tmp_path / "best_model.pt", model, {"max_epochs": 3}, {"name": "unit"})


def _payload(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _rewrite(path, **changes):
    payload = _payload(path)
    payload.update(changes)
    torch.save(payload, path)


def test_round_trip_gives_identical_scores(saved, model):
    features = torch.randn(20, 5)
    loaded = load_checkpoint(saved)
    assert not loaded.model.training
    torch.testing.assert_close(loaded.model(features), model(features), rtol=0, atol=0)
    torch.testing.assert_close(loaded.model.feature_mean, model.feature_mean)
    assert loaded.metadata["architecture_type"] == "siamese"
    assert loaded.metadata["embedding_dim"] == 8
    assert [f["name"] for f in loaded.feature_set] == ["iqa", "noise"]
    assert all(f["version"] for f in loaded.feature_set)
    assert loaded.training_config == {"max_epochs": 3}
    assert loaded.info["name"] == "unit" and "created" in loaded.info
    assert loaded.label == "unit (iqa+noise)"


def test_burst_context_round_trips_and_is_part_of_the_feature_set(tmp_path):
    config = MultiFeatureConfig(**{**CONFIG, "burst_context": ("exposure_profile",)})
    model = MultiFeaturePairwiseRanker(config).eval()
    path = save_checkpoint(tmp_path / "context.pt", model, info={"name": "unit"})
    loaded = load_checkpoint(path)
    features = torch.randn(7, config.input_dim)
    torch.testing.assert_close(loaded.model(features), model(features), rtol=0, atol=0)
    assert loaded.model.config.burst_context == ("exposure_profile",) and loaded.model.config.input_dim == 13
    assert loaded.feature_set[-1]["name"] == "exposure_profile" and loaded.feature_set[-1]["burst_context"]
    assert loaded.label == "unit (iqa+noise+exposure_profile vs burst)"
    # the same extractor fed per photo instead of against the burst is another model: refused
    payload = _payload(path)
    _rewrite(path, feature_set=[{k: v for k, v in f.items() if k != "burst_context"} for f in payload["feature_set"]])
    with pytest.raises(CheckpointError, match="does not match its architecture"):
        load_checkpoint(path)


def test_save_is_atomic_and_leaves_no_temp_files(saved):
    assert sorted(p.name for p in saved.parent.iterdir()) == ["best_model.pt"]


@pytest.mark.parametrize(
    "payload",
    [
        {"model_state_dict": {"fc.weight": torch.zeros(1, 4)}},  # the old plain MLP: no architecture at all
        {"model_state_dict": {"fc.weight": torch.zeros(1, 4)}, "architecture_type": "mlp"},
        {"model_state_dict": {}, "architecture": {"architecture_type": "mlp"}},
    ],
)
def test_plain_mlp_checkpoint_is_refused_with_retrain_hint(tmp_path, payload):
    path = tmp_path / "old.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="(?i)retrain") as info:
        load_checkpoint(path)
    assert "mlp" in str(info.value) and "Siamese" in str(info.value)
    assert str(path) in str(info.value)


def test_feature_set_that_disagrees_with_the_architecture_is_refused(saved):
    payload = _payload(saved)
    _rewrite(saved, feature_set=[{"name": "iqa", "dim": 4, "version": "1"}])  # noise dropped
    with pytest.raises(CheckpointError, match="does not match its architecture"):
        load_checkpoint(saved)
    _rewrite(saved, feature_set=[{**f, "name": "clip"} if f["name"] == "noise" else f for f in payload["feature_set"]])
    with pytest.raises(CheckpointError, match="retrain"):
        load_checkpoint(saved)


def test_feature_versions_that_differ_from_this_install_are_refused(saved):
    payload = _payload(saved)
    stale = [{**f, "version": "0-old"} if f["name"] == "noise" else f for f in payload["feature_set"]]
    _rewrite(saved, feature_set=stale)
    with pytest.raises(CheckpointError, match="noise features version 0-old.*Retrain"):
        load_checkpoint(saved)
    assert load_checkpoint(saved, check_versions=False).feature_set == stale


def test_other_format_is_refused(saved):
    _rewrite(saved, format=CHECKPOINT_FORMAT - 1)
    with pytest.raises(CheckpointError, match="format"):
        load_checkpoint(saved)


def test_weights_that_do_not_fit_the_architecture_are_refused(saved):
    payload = _payload(saved)
    state = dict(payload["model_state_dict"])
    state["comparison_head.weight"] = torch.zeros(1, 3)
    _rewrite(saved, model_state_dict=state)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(saved)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "not-a-dict"])
def test_corrupt_files_are_refused(saved, damage):
    data = saved.read_bytes()
    if damage == "garbage":
        saved.write_bytes(b"\x00not a checkpoint" * 64)
    elif damage == "truncated":
        saved.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        saved.write_bytes(b"")
    else:
        torch.save([1, 2, 3], saved)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(saved)
    assert str(saved) in str(info.value)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")
