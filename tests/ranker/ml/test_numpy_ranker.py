"""The NumPy scoring pass gives the torch model's scores (ranker/ml/numpy_ranker.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ranker.ml.active_model import default_checkpoint_path
from ranker.ml.checkpoint import load_checkpoint, save_checkpoint
from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker
from ranker.ml.numpy_ranker import NumpyRanker, check_state, expected_state

CONFIGS = [
    dict(use_clip=False, use_cnn_features=False, mlp_hidden_dims=(16, 8)),
    dict(
        use_clip=False,
        use_cnn_features=False,
        extra_features=("noise",),
        burst_context=("exposure_profile",),
        mlp_hidden_dims=(32, 16, 8),
    ),
    dict(use_clip=True, use_cnn_features=False, use_layernorm=False, mlp_hidden_dims=(24,)),
    dict(),  # the seed's full 1540-d layout, 512 → 256
]


def _random_model(config: MultiFeatureConfig, seed: int) -> MultiFeaturePairwiseRanker:
    torch.manual_seed(seed)
    model = MultiFeaturePairwiseRanker(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.3)  # LayerNorm weights away from 1/0 too, so every term is exercised
    model.set_normalization(torch.randn(config.input_dim), torch.rand(config.input_dim) + 0.2)
    return model.eval()


@pytest.mark.parametrize("options", CONFIGS)
def test_state_layout_is_the_torch_modules(options):
    config = MultiFeatureConfig(**options)
    model = MultiFeaturePairwiseRanker(config)
    assert expected_state(config) == {key: tuple(value.shape) for key, value in model.state_dict().items()}


@pytest.mark.parametrize("seed, options", list(enumerate(CONFIGS)))
def test_numpy_scores_equal_torch_scores(seed, options):
    config = MultiFeatureConfig(**options)
    model = _random_model(config, seed)
    features = np.random.default_rng(seed).normal(size=(150, config.input_dim)).astype(np.float32)
    state = {key: value.numpy() for key, value in model.state_dict().items()}
    with torch.inference_mode():
        expected = model(torch.from_numpy(features)).numpy()
        embedding = model.encode(torch.from_numpy(features)).numpy()
    ranker = NumpyRanker(config, state)
    # float32 sums in another order: equal to ~1e-6 of the activations' scale (they reach ~20 with these weights)
    np.testing.assert_allclose(ranker.encode(features), embedding, rtol=1e-5, atol=1e-5 * np.abs(embedding).max())
    np.testing.assert_allclose(ranker(features), expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    assert ranker(features).dtype == np.float32


def test_the_shipped_default_ranks_the_same_through_numpy_and_torch():
    checkpoint = load_checkpoint(default_checkpoint_path())
    rng = np.random.default_rng(0)
    mean = checkpoint.state["feature_mean"]
    std = checkpoint.state["feature_std"]
    features = (mean + std * rng.normal(size=(150, checkpoint.config.input_dim))).astype(np.float32)
    with torch.inference_mode():
        expected = checkpoint.model(torch.from_numpy(features)).numpy()
    scores = checkpoint.score(features)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
    assert (np.argsort(-scores) == np.argsort(-expected)).mean() > 0.99  # identical up to near-ties


def test_a_saved_checkpoint_scores_the_same_loaded(tmp_path):
    config = MultiFeatureConfig(**CONFIGS[1])
    model = _random_model(config, 7)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "m.pt", model))
    features = np.random.default_rng(1).normal(size=(20, config.input_dim)).astype(np.float32)
    with torch.inference_mode():
        expected = model(torch.from_numpy(features)).numpy()
    np.testing.assert_allclose(loaded.score(features), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(loaded.model(torch.from_numpy(features)), torch.from_numpy(expected))


def test_a_state_that_does_not_fit_names_the_difference():
    config = MultiFeatureConfig(**CONFIGS[0])
    state = {key: np.zeros(shape, np.float32) for key, shape in expected_state(config).items()}
    check_state(config, state)
    state["comparison_head.weight"] = np.zeros((1, 3), np.float32)
    del state["feature_std"]
    state["extra.bias"] = np.zeros(1, np.float32)
    with pytest.raises(ValueError) as info:
        NumpyRanker(config, state)
    message = str(info.value)
    assert "feature_std" in message and "extra.bias" in message and "comparison_head.weight: (1, 3)" in message
