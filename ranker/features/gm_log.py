"""GM-LOG (Xue et al. 2014): joint statistics of gradient magnitude and Laplacian of Gaussian of the luma."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ranker.features import filters

#: Bin edges of the jointly normalised gradient magnitude and |LoG| (their quintiles over CLIVE training
#: photos, rounded): five levels each, so each histogram bar holds a fifth of a typical photo.
GM_EDGES = np.array([0.0, 0.35, 0.65, 0.9, 1.15, np.inf])
LOG_EDGES = np.array([0.0, 0.08, 0.16, 0.26, 0.42, np.inf])
#: The filters' scale (pixels), as in the paper.
_SIGMA = 0.5
#: The normaliser's Gaussian on the every-other-pixel grid (samples): its centre weighs what the paper's
#: σ = 1 px Gaussian's centre and nearest neighbours do at full size (which at 0.5 samples the
#: centre's own energy would dominate), and its half-width, 3σ.
_NORM_SIGMA = 0.65
_NORM_RADIUS = 2
#: Stabiliser of the joint normalisation (the paper's 0.2 on 0-255 luma).
_EPS = 0.2 / 255

#: the 5×5 window of ones: the LoG's offset is subtracted over it
_BOX = np.ones(5, np.float32)

FEATURE_NAMES = tuple(
    f"{kind}_{i}" for kind in ("gm_marginal", "log_marginal", "gm_dependency", "log_dependency") for i in range(5)
)


@lru_cache(maxsize=1)
def _norm_window() -> np.ndarray:
    """The normaliser's Gaussian on the every-other-pixel grid, normalised to sum 1."""
    r = np.arange(-_NORM_RADIUS, _NORM_RADIUS + 1, dtype=np.float64)
    taps: np.ndarray = np.exp(-(r * r) / (2 * _NORM_SIGMA**2))
    window: np.ndarray = (taps / taps.sum()).astype(np.float32)
    return window


@lru_cache(maxsize=1)
def _kernels() -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, float]:
    """The paper's 5×5 kernels as 1-D factors: x-derivative of Gaussian = deriv(x)·gauss(y), and
    Laplacian of Gaussian = second(x)·gauss(y) + gauss(x)·second(y) - offset (so a flat image gives 0);
    with the L1 norms the paper scales each 2-D kernel by."""
    r = np.arange(-2, 3, dtype=np.float64)
    gauss = np.exp(-(r * r) / (2 * _SIGMA**2))
    gauss /= gauss.sum()
    deriv = -r * gauss / _SIGMA**2
    second = (r * r - _SIGMA**2) / _SIGMA**4 * gauss
    log2d = np.outer(gauss, second) + np.outer(second, gauss)
    offset = float(log2d.mean())
    return (
        gauss.astype(np.float32),
        deriv.astype(np.float32),
        second.astype(np.float32),
        float(np.abs(deriv).sum()),  # L1 of the 2-D derivative kernel (the Gaussian factor sums to 1)
        offset,
        float(np.abs(log2d - offset).sum()),
    )


def gm_log_features(luma: np.ndarray) -> np.ndarray:
    """The 20 numbers of a 0-1 luma image: the marginal histograms of the normalised gradient magnitude
    and |LoG| (5 bins each) and their dependencies (how much each level of one co-occurs with every
    level of the other). Blur moves mass to low levels; noise and blocking change how edges
    (gradient) and spots (LoG) go together."""
    if min(luma.shape) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    gauss, deriv, second, deriv_l1, offset, log_l1 = _kernels()
    luma = luma.astype(np.float32, copy=False)
    # the 5×5 kernels at every other pixel, edges repeated ("symmetric")
    along_x = filters.filtered(luma, deriv, gauss, 2, "symmetric")
    gm = np.hypot(along_x, filters.filtered(luma, gauss, deriv, 2, "symmetric"))
    gm /= deriv_l1
    lg = filters.filtered(luma, second, gauss, 2, "symmetric")
    lg += filters.filtered(luma, gauss, second, 2, "symmetric")
    lg -= offset * filters.filtered(luma, _BOX, _BOX, 2, "symmetric")
    np.abs(lg, out=lg)
    lg /= log_l1
    norm = np.sqrt(filters.separable(gm * gm + lg * lg, _norm_window(), border="symmetric"))
    norm += _EPS
    gm /= norm
    lg /= norm
    levels_gm = sum((gm >= edge for edge in GM_EDGES[1:-1].astype(np.float32)), np.zeros(gm.shape, np.intp))
    levels_log = sum((lg >= edge for edge in LOG_EDGES[1:-1].astype(np.float32)), np.zeros(lg.shape, np.intp))
    joint = np.bincount((levels_gm * 5 + levels_log).ravel(), minlength=25).reshape(5, 5) / levels_gm.size
    p_gm, p_log = joint.sum(axis=1), joint.sum(axis=0)
    q_gm = (joint / (p_log[None, :] + 1e-9)).mean(axis=1)
    q_log = (joint / (p_gm[:, None] + 1e-9)).mean(axis=0)
    parts = (p_gm, p_log, q_gm / (q_gm.sum() + 1e-9), q_log / (q_log.sum() + 1e-9))
    return np.concatenate(parts).astype(np.float32)
