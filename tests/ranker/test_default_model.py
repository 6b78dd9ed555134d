"""The default checkpoint's build (ranker/default_model.py): one feature list, a list of pair sources, calibration."""

from __future__ import annotations

import numpy as np

from ranker import default_model
from ranker.ml.checkpoint import load_checkpoint
from ranker.ml.quality import quality_of


def test_the_feature_set_is_one_list_and_sources_are_a_list():
    config = default_model.default_config()
    assert config.feature_names == list(default_model.FEATURES)
    assert config.burst_context == default_model.BURST_CONTEXT
    assert config.mlp_hidden_dims == (512, 256)  # the seed's tower
    assert default_model.synthetic_bursts in default_model.SOURCES
    assert default_model.clive_photos in default_model.SOURCES
    assert default_model.face_bursts in default_model.SOURCES


def test_the_defaults_training_recipe():
    recipe = default_model.TRAINING
    assert (recipe.schedule, recipe.max_epochs, recipe.margin, recipe.keep) == ("cosine", 5, 0.3, "last")
    assert recipe.patience >= recipe.max_epochs  # all 5 epochs run; the last is kept
    assert default_model.SOURCE_WEIGHTS == {"CLIVE photos": 2.0}


def test_synthetic_pairs_rank_clean_first_and_milder_above_stronger():
    truth = [{"files": ["a", "b", "c", "d"], "defects": ["clean:0", "noise:0.02", "noise:0.08", "wb+shake:1.0"]}]
    index = {"a": 0, "b": 1, "c": 2, "d": 3}
    winners, losers, weights = default_model.synthetic_pairs(truth, index)
    pairs = set(zip(winners, losers))
    assert {(0, 1), (0, 2), (0, 3), (1, 2)} == pairs
    assert weights[winners.index(1)] == 0.5


def test_mos_pairs_need_a_clear_gap():
    mos = np.asarray([10.0, 15.0, 40.0])
    winners, losers, _ = default_model.mos_pairs(mos, np.arange(3), gap=10)
    assert sorted(zip(winners, losers)) == [(2, 0), (2, 1)]


def test_sources_carry_equal_weight_whatever_their_size():
    big = default_model.SourcePairs("big", np.zeros((5, 2)), ([0] * 100, [1] * 100, [1.0] * 100), ([], [], []))
    small = default_model.SourcePairs("small", np.zeros((3, 2)), ([0], [2], [1.0]), ([0], [1], [1.0]))
    _, sets, offsets = default_model.combine([big, small])
    assert offsets == [0, 5, 8]
    weights = sets["train"].weights
    assert np.isclose(weights[:100].sum(), weights[100:].sum())
    assert sets["train"].winners[-1] == 5 and sets["train"].losers[-1] == 7 and len(sets["val"]) == 1


def test_a_source_weight_scales_its_share_of_the_training_weight():
    a = default_model.SourcePairs("a", np.zeros((3, 2)), ([0] * 10, [1] * 10, [1.0] * 10), ([0], [1], [1.0]))
    b = default_model.SourcePairs("b", np.zeros((3, 2)), ([0, 1], [2, 2], [1.0, 1.0]), ([0], [2], [1.0]))
    _, sets, _ = default_model.combine([a, b], {"b": 2.0})
    train, val = sets["train"].weights, sets["val"].weights
    assert np.isclose(train[10:].sum(), 2 * train[:10].sum())
    assert np.isclose(val[1], 2 * val[0])  # validation balances the sources as training does


def test_clive_source_skips_cleanly_without_the_data(tmp_path):
    ctx = default_model.BuildContext(
        default_model.default_config(), tmp_path, 0, True, None, {"clive_root": tmp_path / "absent"}
    )
    assert default_model.clive_photos(ctx) is None


def test_build_from_a_custom_source_list_saves_a_calibrated_checkpoint(tmp_path, one_thread):
    rng = np.random.default_rng(0)

    def scored_photos(ctx):
        # enough photos for the default's ~150 inputs (40 random rows learnt 0.51 once scene_stats came in)
        features = rng.normal(size=(240, ctx.config.input_dim)).astype(np.float32)
        mos = features[:, 0] * 20 + 50  # quality lives in the first input
        train, val = np.arange(180), np.arange(180, 240)
        part = default_model.SourcePairs(
            "scored",
            features,
            default_model.mos_pairs(mos, train),
            default_model.mos_pairs(mos, val),
            {"_mos": mos, "_train": train, "_val": val},
        )
        return part

    out = tmp_path / "default.pt"
    report = default_model.build(
        out, tmp_path, photos_dir=tmp_path, bursts_per_photo=0, seed=0, quiet=True, sources=[scored_photos]
    )
    assert report["sources"]["scored"]["val_spearman"] > 0.6  # chance is 0
    loaded = load_checkpoint(out)
    calibration = loaded.info["quality_calibration"]
    assert calibration["fitted_to"] == "MOS"
    assert quality_of(3.0, calibration) > quality_of(-3.0, calibration)
