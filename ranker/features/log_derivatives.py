"""Log-derivative statistics (DESIQUE, Zhang & Chandler 2013): how log-luma differences spread, at two scales."""

from __future__ import annotations

import numpy as np

from ranker.features.nss import fit_ggd

#: Added to 0-1 luma before the log, so black pixels stay finite and sensor noise in the shadows does
#: not dominate (0.1 is 25/255: differences below it are compressed, above it they are ratios).
_OFFSET = 0.1
#: The five log-derivatives: neighbour differences across, down, along both diagonals, and the
#: 4-neighbour Laplacian (a second derivative, which blur flattens faster than the first ones).
DIRECTIONS = ("h", "v", "d1", "d2", "lap")

FEATURE_NAMES = tuple(
    f"s{scale}_{direction}_{stat}" for scale in (1, 2) for direction in DIRECTIONS for stat in ("shape", "log_var")
)


def _derivatives(j: np.ndarray, step: int) -> list[np.ndarray]:
    """The DIRECTIONS maps of one log-luma plane at every `step`-th pixel of each (interior pixels only:
    no border is invented), computed only there."""
    h, w = j.shape

    def at(dy: int, dx: int, rows: int, cols: int) -> np.ndarray:
        return j[dy : dy + rows : step, dx : dx + cols : step]

    lap = at(0, 1, h - 2, w - 2) + at(2, 1, h - 2, w - 2)
    lap += at(1, 0, h - 2, w - 2)
    lap += at(1, 2, h - 2, w - 2)
    lap -= 4 * at(1, 1, h - 2, w - 2)
    return [
        at(0, 1, h, w - 1) - at(0, 0, h, w - 1),
        at(1, 0, h - 1, w) - at(0, 0, h - 1, w),
        at(1, 1, h - 1, w - 1) - at(0, 0, h - 1, w - 1),
        at(1, 0, h - 1, w - 1) - at(0, 1, h - 1, w - 1),
        lap,
    ]


def _scale_features(luma: np.ndarray, step: int) -> list[float]:
    j = np.log(luma + np.float32(_OFFSET))
    out: list[float] = []
    # every `step`-th sample: a histogram's shape and spread need a quarter of a 512-px plane at most
    for derivative in _derivatives(j, step):
        shape, variance = fit_ggd(derivative)
        out += [shape, float(np.log(variance + 1e-9))]
    return out


def log_derivative_features(luma: np.ndarray) -> np.ndarray:
    """The 20 numbers of a 0-1 luma image: GGD shape and log variance of each log-derivative, at full
    size and at half size (2×2 mean). Sharp detail gives heavy-tailed, wide derivatives; blur narrows
    them, noise makes them Gaussian (shape towards 2)."""
    if min(luma.shape) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    luma = luma.astype(np.float32, copy=False)
    h, w = (luma.shape[0] // 2) * 2, (luma.shape[1] // 2) * 2
    half = (luma[0:h:2, 0:w:2] + luma[0:h:2, 1:w:2]) + (luma[1:h:2, 0:w:2] + luma[1:h:2, 1:w:2])
    half /= 4
    return np.asarray(_scale_features(luma, 2) + _scale_features(half, 1), dtype=np.float32)
