"""Personal models: versioned saving, list, activate, revert, export, import, and re-scoring on activation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ranker.cli import main as cli
from ranker.culling.scoring import score_photos
from ranker.ml import personal_models
from ranker.ml.active_model import active_personal_path, default_checkpoint_path, model_key, personal_dir, resolve_model
from ranker.ml.checkpoint import CheckpointError, load_checkpoint
from ranker.store.catalog import Catalog
from tests.ranker.cached_features import put_plausible_features


@pytest.fixture(scope="module")
def default():
    return load_checkpoint(default_checkpoint_path())


def nudged(default, amount: float):
    """The default model with its head shifted: a distinct 'personal' model."""
    import copy

    model = copy.deepcopy(default.model)
    with torch.no_grad():
        model.comparison_head.weight.add_(amount * torch.randn_like(model.comparison_head.weight))
    return model


def test_save_list_activate_revert(default):
    assert personal_models.list_models() == []
    first = personal_models.save_personal(
        nudged(default, 0.1), {"lr": 1}, {"held_out_before": 0.5, "held_out_after": 0.8, "held_out": 20}
    )
    second = personal_models.save_personal(nudged(default, 0.2))
    assert (first.id, second.id) == ("v1", "v2")
    assert [m.id for m in personal_models.list_models()] == ["v1", "v2"]
    assert not any(m.active for m in personal_models.list_models())
    assert "50% → 80%" in personal_models.get("v1").describe()

    personal_models.activate("2")  # the bare number works too
    assert json.loads((personal_dir() / "active.json").read_text()) == {"active": "v2"}  # active_model's format
    assert active_personal_path() == personal_dir() / "v2.pt"
    checkpoint, why = resolve_model(None)
    assert why == "your active personal model" and checkpoint.info["name"] == "personal v2"
    assert checkpoint.label.startswith("personal v2")
    assert [m.active for m in personal_models.list_models()] == [False, True]

    assert personal_models.revert() == "v2"
    assert active_personal_path() is None
    assert resolve_model(None)[1] == "shipped offline default"
    assert [m.id for m in personal_models.list_models()] == ["v1", "v2"]  # reverting deletes nothing
    assert personal_models.revert() is None


def test_unknown_and_malformed_ids(default):
    personal_models.save_personal(nudged(default, 0.1))
    with pytest.raises(personal_models.PersonalModelError, match="no personal model v7.*known: v1"):
        personal_models.activate("v7")
    with pytest.raises(personal_models.PersonalModelError, match="not a personal model id"):
        personal_models.activate("../etc/passwd")
    assert active_personal_path() is None


def test_export_and_import_round_trip(tmp_path, default):
    model = personal_models.save_personal(nudged(default, 0.3), {}, {"pairs": {"choice": 40}})
    with pytest.raises(personal_models.PersonalModelError, match="no personal model is active"):
        personal_models.export(tmp_path / "mine.pt")
    personal_models.activate(model.id)
    exported = personal_models.export(tmp_path / "mine.pt")
    assert exported.read_bytes() == model.path.read_bytes()
    assert personal_models.export(tmp_path, "v1").name == "phototriage-personal-v1.pt"

    imported = personal_models.import_model(exported, activate_it=True)
    assert imported.id == "v2" and imported.active and personal_models.active_id() == "v2"
    loaded = load_checkpoint(imported.path)
    assert loaded.info["imported_from"] == str(exported) and loaded.info["pairs"] == {"choice": 40}
    assert loaded.info["name"] == "personal v2"
    for key, value in load_checkpoint(model.path).model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)


def test_import_validates_with_load_checkpoint(tmp_path, default):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        personal_models.import_model(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a PhotoTriage checkpoint"):
        personal_models.import_model(foreign)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        personal_models.import_model(tmp_path / "missing.pt")
    assert personal_models.list_models() == [] and list(personal_dir().glob("*.pt")) == []


def test_a_model_this_install_cannot_run_is_listed_but_not_activated(tmp_path, default):
    model = personal_models.save_personal(nudged(default, 0.1))
    payload = torch.load(model.path, weights_only=True)
    payload["feature_set"][0]["version"] = "0-old"
    torch.save(payload, model.path)
    listed = personal_models.list_models()
    assert listed[0].error and "version 0-old" in listed[0].error and "UNUSABLE" in listed[0].describe()
    with pytest.raises(personal_models.PersonalModelError, match="cannot be used"):
        personal_models.activate(model.id)
    assert active_personal_path() is None


def _photos_with_features(catalog, model, tmp_path, count: int = 6) -> list[int]:
    rng = np.random.default_rng(0)
    ids = []
    for index in range(count):
        fp = f"fp{index}"
        ids.append(catalog.upsert_photo(fp, float(index), "exif", {}, {}, [(tmp_path / f"{index}.jpg", 1, 1)]))
        put_plausible_features(catalog, fp, model, rng, spread=1.0)
    catalog.replace_bursts("shoot", [("burst", ids)])
    return ids


def test_activating_a_model_rescores(tmp_path, default):
    catalog = Catalog(tmp_path / "catalog.db")
    ids = _photos_with_features(catalog, default.model, tmp_path)
    active, _ = resolve_model(None)
    before = score_photos(catalog, active, model_key(active.path), ids)
    personal_models.activate(personal_models.save_personal(nudged(default, 1.0)).id)
    personal, _ = resolve_model(None)
    assert model_key(personal.path) != model_key(active.path)
    after = score_photos(catalog, personal, model_key(personal.path), ids)
    assert set(after) == set(ids) and after != before
    # the default judges frames against their burst: its scores follow the grouping, nothing is cached
    assert catalog.scores(model_key(active.path), ids) == {} == catalog.scores(model_key(personal.path), ids)
    catalog.close()


def test_scores_of_a_model_without_burst_context_are_cached_per_model(tmp_path):
    from ranker.ml.checkpoint import save_checkpoint
    from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker

    torch.manual_seed(0)
    config = MultiFeatureConfig(use_clip=False, use_cnn_features=False, mlp_hidden_dims=(8, 4))
    first = load_checkpoint(save_checkpoint(tmp_path / "a.pt", MultiFeaturePairwiseRanker(config).eval()))
    second = load_checkpoint(save_checkpoint(tmp_path / "b.pt", MultiFeaturePairwiseRanker(config).eval()))
    catalog = Catalog(tmp_path / "catalog.db")
    ids = _photos_with_features(catalog, first.model, tmp_path)
    scores = score_photos(catalog, first, "a", ids)
    assert catalog.scores("a", ids) == scores and catalog.scores("b", ids) == {}
    assert score_photos(catalog, second, "b", ids) != scores  # another model: computed, not served from a's
    assert catalog.scores("a", ids) == scores  # a's stay for a revert
    catalog.close()


def test_cli_personal_commands(tmp_path, default, capsys):
    assert cli.main(["models", "personal", "list"]) == 0
    assert "No personal models yet" in capsys.readouterr().out
    personal_models.save_personal(
        nudged(default, 0.1), {}, {"held_out_before": 0.5, "held_out_after": 0.75, "held_out": 8}
    )
    assert cli.main(["models", "personal", "activate", "v1"]) == 0
    assert "Activated personal model v1" in capsys.readouterr().out
    assert cli.main(["models", "personal"]) == 0  # list is the default action
    out = capsys.readouterr().out
    assert "* v1" in out and "50% → 75%" in out
    assert cli.main(["models", "personal", "export", str(tmp_path / "x.pt")]) == 0
    assert (tmp_path / "x.pt").exists()
    assert cli.main(["models", "personal", "import", str(tmp_path / "x.pt")]) == 0
    assert "as personal model v2" in capsys.readouterr().out
    assert personal_models.active_id() == "v1"
    assert cli.main(["models", "personal", "revert"]) == 0
    assert "personal model v1 is kept" in capsys.readouterr().out and active_personal_path() is None
    assert cli.main(["models", "personal", "activate", "v9"]) == 1
    assert "no personal model v9" in capsys.readouterr().err
    (tmp_path / "bad.pt").write_bytes(b"junk")
    assert cli.main(["models", "personal", "import", str(tmp_path / "bad.pt")]) == 1
    assert "not a readable PyTorch checkpoint" in capsys.readouterr().err
