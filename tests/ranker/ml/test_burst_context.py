"""Burst-relative features: deviations from the burst's median, and a ranker that uses them."""

import numpy as np
import pytest
import torch

from ranker.ml.burst_context import burst_deviations
from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker


def test_deviation_from_the_burst_median_signed_then_absolute():
    values = np.float32([[0.0, 1.0], [0.1, 1.0], [1.5, 0.0], [-0.2, 1.0], [7.0, 7.0]])
    out = burst_deviations(values, [[0, 1, 2, 3]])  # row 4 belongs to no burst
    # the median brightness of the burst is 0.05: the +1.5 EV frame stands out, the others barely
    np.testing.assert_allclose(out[:4, 0], [-0.05, 0.05, 1.45, -0.25], atol=1e-6)
    np.testing.assert_allclose(out[:4, 1], [0.0, 0.0, -1.0, 0.0])
    np.testing.assert_allclose(out[:, 2:], np.abs(out[:, :2]))
    np.testing.assert_array_equal(out[4], 0.0)
    assert out.shape == (5, 4) and out.dtype == np.float32


def test_a_photo_alone_has_nothing_to_deviate_from():
    values = np.float32([[3.0], [5.0], [9.0]])
    np.testing.assert_array_equal(burst_deviations(values, [[0], [1, 2]])[0], [0.0, 0.0])
    np.testing.assert_allclose(burst_deviations(values, [[0], [1, 2]])[1:], [[-2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(burst_deviations(values, []), np.zeros((3, 2)))


def test_the_median_ignores_one_wild_frame():
    # a mean would be dragged 1 EV by the blown frame and make every good frame look dark
    values = np.float32([[0.0], [0.0], [0.0], [0.0], [5.0]])
    out = burst_deviations(values, [range(5)])
    np.testing.assert_array_equal(out[:4, 0], 0.0)
    assert out[4, 0] == 5.0


def test_config_with_burst_context_widens_the_input_and_says_so():
    config = MultiFeatureConfig(
        use_clip=False, use_cnn_features=False, burst_context=("exposure_profile",), mlp_hidden_dims=(16, 8)
    )
    assert config.context_layout == [("exposure_profile", 4)]
    assert config.feature_names == ["iqa"] and config.extractor_names == ["iqa", "exposure_profile"]
    assert config.input_dim == 4 + 2 * 4
    model = MultiFeaturePairwiseRanker(config)
    meta = model.get_architecture_metadata()
    assert meta["input_dim"] == 12 and meta["burst_context"] == {"exposure_profile": 4}
    assert meta["architecture_summary"].startswith("Features(4 + 8 burst-relative)")
    assert model(torch.zeros(3, 12)).shape == (3,)
    assert MultiFeatureConfig(**config.to_dict()) == config
    with pytest.raises(ValueError, match="context_dims"):
        MultiFeatureConfig(burst_context=("exposure_profile",), context_dims=(4, 1))
    with pytest.raises(KeyError):
        MultiFeatureConfig(burst_context=("no_such_extractor",))
