"""Tonal range: where the luma histogram sits (log mean and percentiles) and how much of it is near black or white."""

from __future__ import annotations

import numpy as np

FEATURE_NAMES = ("log_mean", "log_p90", "log_p10", "near_black", "near_white")


def tonal_features(luma: np.ndarray) -> np.ndarray:
    """The 5 numbers of a 0-1 luma image. Logs, because a dark frame's quality hinges on small absolute
    differences (a night shot at mean 0.05 against 0.1 is a stop apart). Every other pixel is enough."""
    sample = luma[::2, ::2].ravel()
    p10, p90 = np.percentile(sample, [10, 90])
    return np.asarray(
        [
            np.log(float(sample.mean()) + 1e-3),
            np.log(float(p90) + 1e-3),
            np.log(float(p10) + 1e-2),
            float(np.count_nonzero(sample < 0.05)) / sample.size,
            float(np.count_nonzero(sample > 0.95)) / sample.size,
        ],
        dtype=np.float32,
    )
