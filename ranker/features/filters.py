"""The image filters every signal is built from, run by OpenCV: separable blurs, derivatives, the
Laplacian, Immerkær's noise mask and channel mixes, one SIMD pass each without NumPy temporaries."""

from __future__ import annotations

from functools import cache
from types import ModuleType

import numpy as np


@cache
def opencv() -> ModuleType:
    """cv2, imported on first use (a cached re-rank never filters) and single-threaded: photos are
    analysed in parallel by the decode pool, so OpenCV's own threads would only fight it for the cores."""
    import cv2

    cv2.setNumThreads(1)
    return cv2


def filtered(
    plane: np.ndarray, across: np.ndarray, down: np.ndarray, step: int = 1, border: str = "reflect"
) -> np.ndarray:
    """`across` along each row and `down` along each column (correlation, the output type of the input's),
    at every `step`-th pixel of each axis. border "reflect": about the edge pixel, as NumPy's pad
    mode "reflect"; "symmetric": the edge pixel repeated, as NumPy's "symmetric" and SciPy's "reflect".
    A strided view is copied first (OpenCV reads whole rows)."""
    cv2 = opencv()
    mode = cv2.BORDER_REFLECT_101 if border == "reflect" else cv2.BORDER_REFLECT
    kind = plane.dtype.type
    out: np.ndarray = cv2.sepFilter2D(
        np.ascontiguousarray(plane), -1, across.astype(kind), down.astype(kind), borderType=mode
    )
    return out if step == 1 else out[::step, ::step]


def separable(plane: np.ndarray, taps: np.ndarray, step: int = 1, border: str = "reflect") -> np.ndarray:
    """The same symmetric `taps` down and across a float plane."""
    return filtered(plane, taps, taps, step, border)


#: [1 4 6 4 1]/16: the binomial approximation of a Gaussian of σ = 1 px.
_BINOMIAL = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
#: [1 -2 1]: the second difference whose outer product with itself is Immerkær's noise mask.
_SECOND_DIFFERENCE = np.array([1.0, -2.0, 1.0])


def smooth(plane: np.ndarray) -> np.ndarray:
    """Binomial [1 4 6 4 1]/16 blur in both directions (≈ Gaussian σ=1 px), edges reflected."""
    return separable(plane, _BINOMIAL)


def laplacian(plane: np.ndarray, step: int = 1) -> np.ndarray:
    """The 4-neighbour discrete Laplacian, edges reflected; `step` keeps every step-th pixel of each axis."""
    cv2 = opencv()
    out: np.ndarray = cv2.Laplacian(np.ascontiguousarray(plane), -1, ksize=1, borderType=cv2.BORDER_REFLECT_101)
    return out if step == 1 else out[::step, ::step]


def immerkaer(plane: np.ndarray, step: int = 1) -> np.ndarray:
    """Per-pixel |Immerkær mask response| (the outer product of [1 -2 1] with itself), unscaled, edges
    reflected; `step` keeps every step-th pixel of each axis."""
    out = filtered(plane, _SECOND_DIFFERENCE, _SECOND_DIFFERENCE, step, "reflect")
    magnitude: np.ndarray = np.abs(out, out=out) if step == 1 else np.abs(out)
    return magnitude


def _gaussian_taps(sigma: float, order: int) -> np.ndarray:
    """SciPy's sampled Gaussian (radius 4σ) or, order 1, its derivative, as a correlation kernel."""
    radius = int(4.0 * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 * x * x / (sigma * sigma))
    phi /= phi.sum()
    # SciPy convolves with -x/σ²·φ: as a correlation that is +x/σ²·φ
    return phi if order == 0 else x / (sigma * sigma) * phi


def gaussian(plane: np.ndarray, sigma: float) -> np.ndarray:
    """scipy.ndimage.gaussian_filter(plane, sigma): edges repeated, as SciPy's default mode."""
    taps = _gaussian_taps(sigma, 0)
    return filtered(plane, taps, taps, 1, "symmetric")


def gaussian_gradient_magnitude(plane: np.ndarray, sigma: float) -> np.ndarray:
    """scipy.ndimage.gaussian_gradient_magnitude(plane, sigma): |∇(G_σ * plane)|, edges repeated."""
    g, d = _gaussian_taps(sigma, 0), _gaussian_taps(sigma, 1)
    across = filtered(plane, d, g, 1, "symmetric")
    down = filtered(plane, g, d, 1, "symmetric")
    magnitude: np.ndarray = np.hypot(across, down)
    return magnitude


@cache
def smoothed_laplacian_gain() -> float:
    """Σh² of the smooth-then-Laplacian filter: white noise of variance σ² leaves σ²·Σh² in its output."""
    impulse = np.zeros((31, 31), dtype=np.float64)
    impulse[15, 15] = 1.0
    return float((laplacian(smooth(impulse)) ** 2).sum())


def every_other(pixels: np.ndarray) -> np.ndarray:
    """Every other pixel of each axis, contiguous: pixels[0:2h:2, 0:2w:2] for the whole pairs (an odd
    last row or column is dropped), by OpenCV's nearest-pixel halving, 2.5x NumPy's copy of a strided
    3-channel view. Under 2 pixels on a side, the strided samples themselves (nothing is dropped)."""
    cv2 = opencv()
    height, width = pixels.shape[0] // 2, pixels.shape[1] // 2
    if height == 0 or width == 0:
        return np.ascontiguousarray(pixels[::2, ::2])
    half: np.ndarray = cv2.resize(pixels[: 2 * height, : 2 * width], (width, height), interpolation=cv2.INTER_NEAREST)
    return half


def mix(rgb: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The per-pixel weighted sum of an RGB array's channels (uint8 read as 0-1) with one row of
    `weights`, as an (h, w) plane. One pass, where NumPy's matmul with a 3-vector takes 10x as long."""
    return _transform(rgb, weights)


def mix_planes(rgb: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """mix with several rows of `weights` at once: one plane per row, each contiguous for the filters."""
    rows = len(weights)
    return list(opencv().split(_transform(rgb, weights)))[:rows]


def _transform(rgb: np.ndarray, weights: np.ndarray) -> np.ndarray:
    pixels = rgb if rgb.dtype in (np.float32, np.float64) else rgb.astype(np.float32)
    matrix = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if rgb.dtype == np.uint8:
        matrix = matrix / 255
    if len(matrix) == 2:  # OpenCV has fast paths for 1 and 3 outputs only: two take 6x as long as three
        matrix = np.vstack([matrix, np.zeros((1, matrix.shape[1]))])
    out: np.ndarray = opencv().transform(np.ascontiguousarray(pixels), matrix.astype(pixels.dtype))
    return out
