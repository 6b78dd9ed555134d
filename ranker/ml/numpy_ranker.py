"""The Siamese ranker's scoring pass (eval mode) in NumPy: cached features are scored without torch.

It computes exactly what MultiFeaturePairwiseRanker.forward computes in eval mode (dropout off):
standardise, LayerNorm, Linear+ReLU per tower layer, the Linear head. A test holds the two equal.
Importing torch costs ~1 s and ~700 MiB; this pass costs well under a millisecond per shoot.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ranker.ml.model_config import MultiFeatureConfig

#: torch.nn.LayerNorm's default epsilon
LAYERNORM_EPS = 1e-5


def expected_state(config: MultiFeatureConfig) -> dict[str, tuple[int, ...]]:
    """Every tensor MultiFeaturePairwiseRanker(config).state_dict() holds, with its shape."""
    n = config.input_dim
    shapes: dict[str, tuple[int, ...]] = {"feature_mean": (n,), "feature_std": (n,)}
    if config.use_layernorm:
        shapes.update({"input_norm.weight": (n,), "input_norm.bias": (n,)})
    previous = n
    for layer, width in enumerate(config.mlp_hidden_dims):
        index = 3 * layer  # each tower layer is Linear, ReLU, Dropout in one nn.Sequential
        shapes.update({f"siamese_tower.{index}.weight": (width, previous), f"siamese_tower.{index}.bias": (width,)})
        previous = width
    shapes.update({"comparison_head.weight": (1, previous), "comparison_head.bias": (1,)})
    return shapes


def check_state(config: MultiFeatureConfig, state: Mapping[str, np.ndarray]) -> None:
    """Raise ValueError naming what differs when `state` does not fit `config` (like load_state_dict)."""
    expected = expected_state(config)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{key}: {tuple(np.shape(state[key]))} instead of {shape}"
        for key, shape in expected.items()
        if key in state and tuple(np.shape(state[key])) != shape
    ]
    problems = [f"missing {missing}"] if missing else []
    problems += ([f"unexpected {unexpected}"] if unexpected else []) + wrong
    if problems:
        raise ValueError("; ".join(problems))


class NumpyRanker:
    """Scores (N, input_dim) feature rows with a checkpoint's weights; higher is better."""

    def __init__(self, config: MultiFeatureConfig, state: Mapping[str, np.ndarray]):
        check_state(config, state)
        self.config = config
        f32 = {key: np.asarray(value, dtype=np.float32) for key, value in state.items()}
        self._mean, self._std = f32["feature_mean"], f32["feature_std"]
        self._norm = (f32["input_norm.weight"], f32["input_norm.bias"]) if config.use_layernorm else None
        self._tower = [
            (f32[f"siamese_tower.{3 * i}.weight"].T.copy(), f32[f"siamese_tower.{3 * i}.bias"])
            for i in range(len(config.mlp_hidden_dims))
        ]
        self._head = (f32["comparison_head.weight"].T.copy(), f32["comparison_head.bias"])

    def encode(self, features: np.ndarray) -> np.ndarray:
        """(N, input_dim) → (N, embedding_dim), as MultiFeaturePairwiseRanker.encode in eval mode."""
        x = (np.asarray(features, dtype=np.float32) - self._mean) / self._std
        if self._norm is not None:
            mean = x.mean(axis=-1, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch's LayerNorm
            x = (x - mean) / np.sqrt(var + LAYERNORM_EPS) * self._norm[0] + self._norm[1]
        for weight, bias in self._tower:
            x = np.maximum(x @ weight + bias, 0.0)
        return x

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """(N, input_dim) → (N,) float32 scores."""
        weight, bias = self._head
        return (self.encode(features) @ weight + bias).reshape(-1).astype(np.float32)
