"""Burst-relative features: each photo's deviation from the typical frame of its burst."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ranker.features.face_context import CONTEXT_DIM, burst_face_context
from ranker.ml.model_config import MultiFeatureConfig


def burst_deviations(values: np.ndarray, bursts: Sequence[Sequence[int]]) -> np.ndarray:
    """(N, d) per-photo values → (N, 2d): [value − burst median, |value − burst median|].

    The median is the burst's typical frame: in a burst most frames share the light and the
    settings, so the frame that deviates is the one exposed (or metered) wrongly, whichever way.
    The absolute part lets the ranker's first layer see "how far off" directly instead of having
    to build |x| from two ReLUs. Rows in no burst, and bursts of one, deviate by 0: alone, a
    photo has nothing to be compared with.
    """
    values = np.asarray(values, dtype=np.float32)
    deviation = np.zeros_like(values)
    for members in bursts:
        rows = np.asarray(list(members), dtype=np.int64)
        if len(rows) > 1:
            deviation[rows] = values[rows] - np.median(values[rows], axis=0)
    return np.concatenate([deviation, np.abs(deviation)], axis=1)


#: Context features read against the best frame of each person rather than the burst's median: a blink
#: is a departure from that person's open eyes, and in a burst where most frames blink the median
#: frame blinks too. Name → (width of the model input it becomes, transform).
PER_PERSON: dict[str, tuple[int, Callable[[np.ndarray, Sequence[Sequence[int]]], np.ndarray]]] = {
    "faces": (CONTEXT_DIM, burst_face_context),
}


def context_width(name: str, dim: int) -> int:
    """Model input columns a burst-context feature of `dim` values becomes."""
    return PER_PERSON[name][0] if name in PER_PERSON else 2 * dim


def model_rows(
    config: MultiFeatureConfig,
    features_of: Callable[[list[tuple[str, int]]], np.ndarray],
    bursts: Iterable[Sequence[int]] = (),
) -> np.ndarray:
    """A MultiFeatureConfig's input rows: `features_of(layout)` gives the (N, dims) features of a
    [(extractor, dim)] layout; burst-context features follow as deviations within `bursts` (row lists):
    first every median-relative one (signed, then absolute), then each per-person one in order."""
    rows = features_of(config.feature_layout)
    if not config.context_layout:
        return rows
    bursts = [list(b) for b in bursts]
    median = [(name, dim) for name, dim in config.context_layout if name not in PER_PERSON]
    parts = [rows]
    if median:
        parts.append(burst_deviations(features_of(median), bursts))
    for name, dim in config.context_layout:
        if name in PER_PERSON:
            parts.append(PER_PERSON[name][1](features_of([(name, dim)]), bursts))
    return np.concatenate(parts, axis=1)


def input_groups(config: MultiFeatureConfig) -> list[tuple[str, np.ndarray]]:
    """(group, column indices) of each part of a model input row as model_rows lays it out: every
    feature_layout extractor by its name, then each burst-context one as "<name> vs burst" (a
    median-relative one owns its signed and its absolute columns)."""
    groups: list[tuple[str, np.ndarray]] = []
    start = 0
    for name, dim in config.feature_layout:
        groups.append((name, np.arange(start, start + dim)))
        start += dim
    median = [(name, dim) for name, dim in config.context_layout if name not in PER_PERSON]
    total = sum(dim for _, dim in median)
    offset = start
    for name, dim in median:
        signed = np.arange(offset, offset + dim)
        groups.append((f"{name} vs burst", np.concatenate([signed, signed + total])))
        offset += dim
    start += 2 * total
    for name, _ in config.context_layout:
        if name in PER_PERSON:
            width = PER_PERSON[name][0]
            groups.append((f"{name} vs burst", np.arange(start, start + width)))
            start += width
    return groups
