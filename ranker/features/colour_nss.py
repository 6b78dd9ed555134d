"""Colour natural-scene statistics: MSCN shape and spread of two opponent-colour planes at two scales."""

from __future__ import annotations

import numpy as np

from ranker.features import filters
from ranker.features.nss import fit_ggd, mscn

FEATURE_NAMES = tuple(
    f"{plane}_s{scale}_{stat}" for plane in ("a", "b") for scale in (1, 2) for stat in ("shape", "var")
)

#: sRGB values (0-1) → the red-green and yellow-blue opponent planes: the least-squares linear fit of
#: CIELAB a*/100 and b*/100 on photos outside CLIVE (R² 0.90 and 0.997), each row summing to 0 so
#: that grey has no chroma. No linearisation or cube root per pixel; MSCN only reads local contrast.
_TO_OPPONENT = np.array([[0.76, -1.35, 0.59], [0.26, 1.03, -1.29]])

#: opponent range below which a plane is grey: float rounding of R = G = B leaves ~1e-7
_GREY = 1e-4


def opponent_chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The red-green (≈ a*/100) and yellow-blue (≈ b*/100) planes of uint8 sRGB pixels."""
    red_green, yellow_blue = filters.mix_planes(rgb, _TO_OPPONENT)
    return red_green, yellow_blue


def _half(plane: np.ndarray) -> np.ndarray:
    h, w = (plane.shape[0] // 2) * 2, (plane.shape[1] // 2) * 2
    out: np.ndarray = (plane[0:h:2, 0:w:2] + plane[0:h:2, 1:w:2]) + (plane[1:h:2, 0:w:2] + plane[1:h:2, 1:w:2])
    out /= 4
    return out


def colour_nss_features(rgb: np.ndarray) -> np.ndarray:
    """The 8 numbers of a 0-255 sRGB array: GGD shape and variance of the MSCN field of each opponent
    plane, at half and quarter size. Chroma noise and JPEG's coarse chroma bend them. A grey image (a plane
    with no chroma beyond rounding) gives 0 for both, outside any fitted shape: it carries no colour structure."""
    # Every other pixel: JPEG keeps chroma at half resolution (4:2:0) anyway, nearest pixels keep its
    # noise, and the statistics cost a quarter (6.8 -> 1.6 ms a photo). CLIVE 4-fold CV, seeds 1-3:
    # 0.660 at full size, 0.657 here (within the seed spread); docs/BENCHMARKS.md.
    rgb = filters.every_other(rgb)
    if min(rgb.shape[:2]) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    out: list[float] = []
    for plane in opponent_chroma(rgb):
        if float(np.ptp(plane)) < _GREY:
            out.extend([0.0] * 4)
            continue
        # this size at every other pixel (the fit is image-wide), half of it at every pixel
        out.extend(fit_ggd(mscn(plane, step=2)))
        out.extend(fit_ggd(mscn(_half(plane))))
    return np.asarray(out, dtype=np.float32)
