"""σ-map statistics (FRIQUEE, Ghadiyaram & Bovik 2017): BRISQUE's MSCN fits on the local-contrast field itself."""

from __future__ import annotations

import numpy as np

from ranker.features.nss import _blur, fit_aggd, fit_ggd, mscn

FEATURE_NAMES = tuple(
    f"s{scale}_{name}"
    for scale in (1, 2)
    for name in ("shape", "var", *(f"{d}_{p}" for d in ("h", "v") for p in ("shape", "mean", "log_lvar", "log_rvar")))
)


def local_sigma(luma: np.ndarray, step: int = 1) -> np.ndarray:
    """Local standard deviation of the luma in BRISQUE's 7-tap Gaussian window (its MSCN denominator),
    at every `step`-th pixel of each axis."""
    mu = _blur(luma, step)
    var = _blur(luma * luma, step)
    var -= mu * mu
    sigma: np.ndarray = np.sqrt(np.abs(var, out=var), out=var)
    return sigma


def _scale_features(luma: np.ndarray) -> list[float]:
    # The σ field is smooth at the window's scale: every other pixel of it carries its statistics, and
    # neighbours on that grid (2 px apart) its local correlation.
    coefficients = mscn(local_sigma(luma, step=2))
    out = list(fit_ggd(coefficients))
    h, w = coefficients.shape
    for dy, dx in ((0, 1), (1, 0)):
        a, b = coefficients[: h - dy, : w - dx], coefficients[dy:, dx:]
        shape, mean, left, right = fit_aggd((a * b).ravel())
        out += [shape, mean, float(np.log(left + 1e-9)), float(np.log(right + 1e-9))]
    return out


def sigma_map_features(luma: np.ndarray) -> np.ndarray:
    """The 20 numbers of a 0-1 luma image, at full and half size: how contrast itself is distributed.
    Blur and haze smooth the σ field, noise lifts its floor, and a sharp subject on a soft background
    gives it the structure real in-focus photographs have."""
    if min(luma.shape) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    luma = luma.astype(np.float32, copy=False)
    h, w = (luma.shape[0] // 2) * 2, (luma.shape[1] // 2) * 2
    half = (luma[0:h:2, 0:w:2] + luma[0:h:2, 1:w:2]) + (luma[1:h:2, 0:w:2] + luma[1:h:2, 1:w:2])
    half /= 4
    return np.asarray(_scale_features(luma) + _scale_features(half), dtype=np.float32)
