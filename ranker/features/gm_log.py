"""GM-LOG (Xue et al. 2014): joint statistics of gradient magnitude and Laplacian of Gaussian of the luma."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Bin edges of the jointly normalised gradient magnitude and |LoG| (their quintiles over CLIVE training
#: photos, rounded): five levels each, so each histogram bar holds a fifth of a typical photo.
GM_EDGES = np.array([0.0, 0.35, 0.65, 0.9, 1.15, np.inf])
LOG_EDGES = np.array([0.0, 0.08, 0.16, 0.26, 0.42, np.inf])
#: The filters' scale (pixels), as in the paper.
_SIGMA = 0.5
#: Stabiliser of the joint normalisation (the paper's 0.2 on 0-255 luma).
_EPS = 0.2 / 255

FEATURE_NAMES = tuple(
    f"{kind}_{i}" for kind in ("gm_marginal", "log_marginal", "gm_dependency", "log_dependency") for i in range(5)
)


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
    from scipy import ndimage  # ~0.3 s to import: only when features are computed

    if min(luma.shape) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    y = luma.astype(np.float32, copy=False)
    gauss, deriv, second, deriv_l1, offset, log_l1 = _kernels()
    down = ndimage.correlate1d(y, gauss, axis=0)  # smoothed down the columns, for the x filters
    across = ndimage.correlate1d(y, gauss, axis=1)
    gm = np.hypot(ndimage.correlate1d(down, deriv, axis=1), ndimage.correlate1d(across, deriv, axis=0))
    gm /= deriv_l1
    lg = ndimage.correlate1d(down, second, axis=1)
    lg += ndimage.correlate1d(across, second, axis=0)
    box = ndimage.correlate1d(ndimage.correlate1d(y, np.ones(5, np.float32), axis=0), np.ones(5, np.float32), axis=1)
    lg -= offset * box
    np.abs(lg, out=lg)
    lg /= log_l1
    norm = np.sqrt(ndimage.gaussian_filter(gm * gm + lg * lg, 2 * _SIGMA))
    norm += _EPS
    # the histograms are image-wide: every other pixel in each direction gives the same shares
    gm, lg, norm = gm[::2, ::2], lg[::2, ::2], norm[::2, ::2]
    levels_gm = np.searchsorted(GM_EDGES[1:-1], (gm / norm).ravel(), side="right")
    levels_log = np.searchsorted(LOG_EDGES[1:-1], (lg / norm).ravel(), side="right")
    joint = np.bincount(levels_gm * 5 + levels_log, minlength=25).reshape(5, 5) / levels_gm.size
    p_gm, p_log = joint.sum(axis=1), joint.sum(axis=0)
    q_gm = (joint / (p_log[None, :] + 1e-9)).mean(axis=1)
    q_log = (joint / (p_gm[:, None] + 1e-9)).mean(axis=0)
    parts = (p_gm, p_log, q_gm / (q_gm.sum() + 1e-9), q_log / (q_log.sum() + 1e-9))
    return np.concatenate(parts).astype(np.float32)
