"""Colour natural-scene statistics: MSCN shape and spread of the CIELAB a* and b* planes at two scales."""

from __future__ import annotations

import numpy as np

from ranker.features.nss import fit_ggd, mscn

FEATURE_NAMES = tuple(
    f"{plane}_s{scale}_{stat}" for plane in ("a", "b") for scale in (1, 2) for stat in ("shape", "var")
)

#: linear sRGB → XYZ (D65), each row divided by the white point so that white maps to (1, 1, 1)
_TO_XYZ = (
    np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    / np.array([0.9505, 1.0, 1.089])[:, None]
).T.astype(np.float32)


#: a*/100 or b*/100 range below which a plane is grey: float rounding of R = G = B leaves ~1e-7
_GREY = 1e-4


def lab_chroma(linear: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CIELAB a* and b* (divided by 100) of a linear-light RGB array."""
    xyz = linear @ _TO_XYZ
    f = np.cbrt(xyz)
    dark = xyz <= 0.008856  # CIELAB's linear toe, on the few pixels that need it
    f[dark] = 7.787 * xyz[dark] + 16 / 116
    return 5.0 * (f[..., 0] - f[..., 1]), 2.0 * (f[..., 1] - f[..., 2])


def _half(plane: np.ndarray) -> np.ndarray:
    h, w = (plane.shape[0] // 2) * 2, (plane.shape[1] // 2) * 2
    out: np.ndarray = (plane[0:h:2, 0:w:2] + plane[0:h:2, 1:w:2]) + (plane[1:h:2, 0:w:2] + plane[1:h:2, 1:w:2])
    out /= 4
    return out


def colour_nss_features(linear: np.ndarray) -> np.ndarray:
    """The 8 numbers of a linear-light RGB array: GGD shape and variance of the MSCN field of a* and b*,
    at full and half size. Chroma noise and JPEG's coarse chroma bend them. A grey image (a plane with
    no chroma beyond rounding) gives 0 for both, outside any fitted shape: it carries no colour structure."""
    if min(linear.shape[:2]) < 16:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    out: list[float] = []
    for plane in lab_chroma(linear.astype(np.float32, copy=False)):
        plane = plane.astype(np.float32, copy=False)
        if float(np.ptp(plane)) < _GREY:
            out.extend([0.0] * 4)
            continue
        for scaled in (plane, _half(plane)):
            out.extend(fit_ggd(mscn(scaled)))
    return np.asarray(out, dtype=np.float32)
