"""Spectral slope: how fast the radial power spectrum of the luma falls with frequency (blur steepens it)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FEATURE_NAMES = ("slope", "slope_low", "slope_high")
#: Frequencies (cycles per crop) below this are the scene's layout, not its detail: left out of every fit.
_LOWEST = 4


def _fit(log_f: np.ndarray, log_p: np.ndarray) -> float:
    return float(np.polyfit(log_f, log_p, 1)[0]) if len(log_f) >= 2 else 0.0


@lru_cache(maxsize=4)
def _layout(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For an n×n crop: the 2-D Hann window, each half-plane coefficient's integer radius, and how many
    coefficients share each radius (photos of one camera share n, so this is computed once)."""
    window = np.hanning(n).astype(np.float32)
    rows = np.abs(np.fft.fftfreq(n) * n)  # rows run over ±n/2, the half-plane columns over 0..n/2
    radius = np.hypot(rows[:, None], np.arange(n // 2 + 1)[None, :]).astype(np.int64).ravel()
    return np.outer(window, window), radius, np.maximum(np.bincount(radius), 1)


def spectral_slopes(luma: np.ndarray) -> np.ndarray:
    """(overall, low-band, high-band) log-log slope of the radial power spectrum of the central square
    of a 0-1 luma image, Hann-windowed. Natural photographs fall as ~1/f²; blur and smoothing fall
    faster at high frequencies, noise flattens them; the low band (up to 1/8 of the crop) is the scene's."""
    if min(luma.shape) < 32:
        return np.zeros(len(FEATURE_NAMES), dtype=np.float32)
    from scipy import fft  # single precision, unlike numpy's

    # The largest side at most the short side's with only small prime factors: a 3:2 photo's 341 px
    # (11·31) transforms 5x slower than 324 (2²·3⁴), and a few pixels less of crop change no slope.
    n = fft.prev_fast_len(min(luma.shape), real=True)
    top, left = (luma.shape[0] - n) // 2, (luma.shape[1] - n) // 2

    crop = luma[top : top + n, left : left + n].astype(np.float32)
    window, radius, counts = _layout(n)
    power = np.abs(fft.rfft2((crop - crop.mean()) * window)) ** 2
    radial = np.bincount(radius, power.ravel()) / counts
    f = np.arange(len(radial), dtype=np.float64)
    log_p = np.log(radial + 1e-12)
    mid, top_f = n // 8, n // 2
    bands = (slice(_LOWEST, top_f), slice(_LOWEST, mid), slice(mid, top_f))
    return np.asarray([_fit(np.log(f[band]), log_p[band]) for band in bands], dtype=np.float32)
