"""Plausible cached features for a model, written straight into a catalog: learning tests need no decoding."""

from __future__ import annotations

import numpy as np

from ranker.features.registry import get_extractor
from ranker.ml.model import MultiFeaturePairwiseRanker
from ranker.store.catalog import Catalog


def put_plausible_features(
    catalog: Catalog, fingerprint: str, model: MultiFeaturePairwiseRanker, rng: np.random.Generator, spread: float = 0.5
) -> np.ndarray:
    """Per-photo features drawn around the model's training statistics (returned, in input order);
    burst-context extractors get raw values that differ a little from frame to frame."""
    config = model.config
    width = sum(dim for _, dim in config.feature_layout)
    mean, std = model.feature_mean.numpy()[:width], model.feature_std.numpy()[:width]
    vector = (mean + spread * std * rng.normal(size=width)).astype(np.float32)
    rows, start = [], 0
    for name, dim in config.feature_layout:
        rows.append((fingerprint, name, get_extractor(name).version, vector[start : start + dim]))
        start += dim
    for name, dim in config.context_layout:
        if name not in config.feature_names:
            rows.append((fingerprint, name, get_extractor(name).version, rng.normal(0, 0.3, dim).astype(np.float32)))
    catalog.put_features(rows)
    return vector
