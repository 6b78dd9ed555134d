"""Technical twins: a photo against a degraded copy of itself, so learning a taste never unlearns sharp-over-blurred."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ranker.ml.model import MultiFeaturePairwiseRanker
from ranker.ml.training import score_features

#: Feature-space "technical twins". Fine-tuning on a taste (brighter, more muted colours) moves the
#: head, and nothing in the user's choices says that blur and noise still matter; with a few hundred
#: pairs a head can trade them away. So every photo of the training pairs gets a slightly blurred, a
#: blurred and a noisy twin, made by shifting its cached features the way real defects shift them
#: (measured with iqa v3 / noise v1 on the synthetic 'subtle' and 'clear' bursts of ranker.datasets.synthetic:
#: defocus/shake lower log-sharpness by 0.05-0.9 and contrast, colourfulness and noise σ slightly;
#: high-ISO noise raises σ by 0.01-0.07, lowers the noise-corrected sharpness and adds a little
#: colourfulness and contrast; re-measure if those extractors change), and the pair original > twin is
#: mixed in. A twin pair is kept only when the model being tuned already prefers the original, so twins
#: preserve the old model's technical judgement and never teach it anything new: regularising toward
#: the old model along the defect directions only, leaving the taste directions free. Models without
#: these features (CLIP-only) get no twins; the held-out gate still guards them.
#: Each entry: {(feature, index): (shift of the weakest, shift of the strongest defect)}.
TWIN_SHIFTS = {
    "slight blur": {
        ("iqa", 0): (-0.05, -0.25),
        ("iqa", 2): (0.0, -0.002),
        ("iqa", 3): (-0.001, -0.006),
        ("noise", 0): (-0.0005, -0.004),
    },
    "blur": {
        ("iqa", 0): (-0.25, -0.9),
        ("iqa", 2): (-0.001, -0.004),
        ("iqa", 3): (-0.005, -0.015),
        ("noise", 0): (-0.002, -0.006),
    },
    "noise": {
        ("noise", 0): (0.01, 0.07),
        ("iqa", 0): (-0.05, -0.7),
        ("iqa", 2): (0.002, 0.015),
        ("iqa", 3): (0.001, 0.015),
    },
}


def technical_twins(
    features: np.ndarray, layout: Sequence[tuple[str, int]], rows: Sequence[int], rng: np.random.Generator
) -> tuple[np.ndarray, list[int]]:
    """(twin feature rows, the original row of each twin): one twin of each TWIN_SHIFTS kind per given row."""
    offsets, start = {}, 0
    for name, dim in layout:
        offsets[name] = (start, dim)
        start += dim
    twins, originals = [], []
    for shifts in TWIN_SHIFTS.values():
        usable = [
            (offsets[name][0] + i, bounds)
            for (name, i), bounds in shifts.items()
            if name in offsets and i < offsets[name][1]
        ]
        if not usable:
            continue
        for row in rows:
            twin = features[row].copy()
            strength = rng.uniform(0.0, 1.0)  # one defect strength moves every feature it touches together
            for column, (weakest, strongest) in usable:
                twin[column] += weakest + strength * (strongest - weakest)
            twins.append(twin)
            originals.append(row)
    return np.asarray(twins, dtype=np.float32).reshape(len(twins), features.shape[1]), originals


def technical_agreement(
    old: MultiFeaturePairwiseRanker,
    new: MultiFeaturePairwiseRanker,
    features: np.ndarray,
    layout: Sequence[tuple[str, int]],
    seed: int,
) -> float | None:
    """Share of fresh technical twin pairs the old model orders correctly that the new one still does
    (None when the feature set has no technical features, or the old model gets none right)."""
    twins, originals = technical_twins(features, layout, range(len(features)), np.random.default_rng(seed))
    if not originals:
        return None
    both = np.concatenate([features, twins]).astype(np.float32)
    twin_rows = np.arange(len(features), len(both))
    old_scores, new_scores = score_features(old, both), score_features(new, both)
    valid = old_scores[originals] > old_scores[twin_rows]
    if not valid.any():
        return None
    return float((new_scores[originals] > new_scores[twin_rows])[valid].mean())
