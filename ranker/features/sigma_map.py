"""σ-map statistics (FRIQUEE, Ghadiyaram & Bovik 2017): BRISQUE's MSCN fits on the local-contrast field itself."""

from __future__ import annotations

import numpy as np

from ranker.features.nss import fit_aggd, fit_ggd, mscn

FEATURE_NAMES = tuple(
    f"s{scale}_{name}"
    for scale in (1, 2)
    for name in ("shape", "var", *(f"{d}_{p}" for d in ("h", "v") for p in ("shape", "mean", "log_lvar", "log_rvar")))
)


def _scale_features(sigma: np.ndarray, stride: int) -> list[float]:
    coefficients = mscn(sigma)
    out = list(fit_ggd(coefficients))
    h, w = coefficients.shape
    for dy, dx in ((0, 1), (1, 0)):
        a, b = coefficients[: h - dy, : w - dx], coefficients[dy:, dx:]
        shape, mean, left, right = fit_aggd((a[::stride, ::stride] * b[::stride, ::stride]).ravel())
        out += [shape, mean, float(np.log(left + 1e-9)), float(np.log(right + 1e-9))]
    return out


def sigma_map_features(sigma: np.ndarray, sigma_half: np.ndarray) -> np.ndarray:
    """The 20 numbers of a luma image's local σ fields at full and half size (ranker.features.nss's
    local_mean_sigma, which BRISQUE computes anyway): how contrast itself is distributed.
    Blur and haze smooth the σ field, noise lifts its floor, and a sharp subject on a soft background
    gives it the structure real in-focus photographs have."""
    if min(sigma.shape) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    return np.asarray(_scale_features(sigma, 2) + _scale_features(sigma_half, 1), dtype=np.float32)
