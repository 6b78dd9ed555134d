"""Input-group effects: which part of the model's inputs moved a photo's quality against its reference."""

from __future__ import annotations

import numpy as np
import pytest

from ranker.default_model import default_config
from ranker.ml.attribution import GROUP_LABELS, group_effects, group_label
from ranker.ml.burst_context import input_groups
from ranker.ml.model_config import MultiFeatureConfig
from ranker.ml.quality import quality_of

#: scores of the linear test model stay within this logistic's steep middle, where points differ
CALIBRATION = {"low": 0.0, "high": 100.0, "centre": 0.0, "scale": 20.0}


#: a model without burst context: iqa and detail only
PLAIN = MultiFeatureConfig(use_iqa_features=True, extra_features=("detail",), extra_dims=(6,))


def test_the_groups_cover_every_input_column_once():
    for config in (default_config(), PLAIN):
        groups = input_groups(config)
        columns = np.concatenate([c for _, c in groups])
        assert sorted(columns.tolist()) == list(range(config.input_dim))
        assert [name for name, _ in groups][: len(config.feature_layout)] == config.feature_names
    names = [name for name, _ in input_groups(default_config())]
    assert names[-3:] == ["exposure_profile vs burst", "detail vs burst", "faces vs burst"]
    assert all(name in GROUP_LABELS for name in names)  # every default input has a photographer's label


def test_a_median_relative_group_owns_its_signed_and_absolute_columns():
    config = default_config()
    groups = dict(input_groups(config))
    start = sum(dim for _, dim in config.feature_layout)
    exposure = groups["exposure_profile vs burst"]
    dim = dict(config.context_layout)["exposure_profile"]
    median_total = sum(d for n, d in config.context_layout if n != "faces")
    assert exposure.tolist() == [*range(start, start + dim), *range(start + median_total, start + median_total + dim)]


def test_each_effect_is_the_quality_the_group_gains_or_costs_against_the_reference():
    config = PLAIN
    weights = np.arange(1, config.input_dim + 1, dtype=np.float64)
    rows = np.random.default_rng(0).normal(size=(3, config.input_dim))
    effects = group_effects(lambda x: x @ weights, config, rows, [1, None, 0], CALIBRATION)
    assert effects[1] == {}  # a photo alone is compared with nothing
    for i, ref in ((0, 1), (2, 0)):
        own = float(rows[i] @ weights)
        for name, columns in input_groups(config):
            # the score the photo would have with the reference's values in this group's columns
            swapped = own - float(weights[columns] @ (rows[i, columns] - rows[ref, columns]))
            want = quality_of(own, CALIBRATION) - quality_of(swapped, CALIBRATION)
            assert effects[i][name] == pytest.approx(want, abs=0.006)  # rounded to 0.01 points
        assert any(abs(v) > 1 for v in effects[i].values())


def test_a_group_the_photo_shares_with_its_reference_weighs_nothing():
    config = PLAIN
    rows = np.random.default_rng(1).normal(size=(2, config.input_dim))
    rows[1, :4] = rows[0, :4]  # the same four iqa values
    effects = group_effects(lambda x: np.tanh(x).sum(axis=1), config, rows, [1, 0], None)
    assert effects[0]["iqa"] == 0.0 and effects[1]["iqa"] == 0.0
    assert effects[0]["detail"] == pytest.approx(-effects[1]["detail"], abs=0.05)


def test_unknown_groups_keep_their_name():
    assert group_label("pyiqa:niqe") == "pyiqa:niqe"
    assert group_label("detail vs burst") == "detail against the burst"
