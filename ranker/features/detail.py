"""Detail as a photographer checks it at 100%: a tile focus map, luma and chroma noise where flat, JPEG blocking."""

from __future__ import annotations

import numpy as np

from ranker.features.iqa import _IMMERKAER, _binomial, _immerkaer, _laplacian, _smooth, _smoothed_laplacian_gain

#: Tiles of this many pixels (at the analysed size): small enough that a subject fills a few,
#: large enough that each holds real structure.
TILE = 32
#: The focus map's "in-focus subject": the 90th-percentile tile. A photo needs only its subject sharp,
#: so the best tiles matter, not the average one (a shallow-depth-of-field portrait is mostly blur).
FOCUS_PERCENTILE = 90
#: Noise is read from the flattest tenth of tiles: texture inflates every local noise estimate, so the
#: tiles with the least response are the ones where only noise is left (a DSLR's fine foliage is not grain).
NOISE_PERCENTILE = 10


def _tile_means(values: np.ndarray, tile: int = TILE, dtype: type | None = None) -> np.ndarray:
    """Mean of each full tile×tile block (a ragged border is dropped), accumulated in `dtype`."""
    h, w = (values.shape[0] // tile) * tile, (values.shape[1] // tile) * tile
    if h == 0 or w == 0:
        return np.asarray([float(values.mean(dtype=dtype))])
    blocks = values[:h, :w].reshape(h // tile, tile, w // tile, tile)
    means: np.ndarray = blocks.mean(axis=(1, 3), dtype=dtype)
    return means.ravel()


def ycbcr(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 luma and the two colour-difference planes of a 0-1 RGB array (JPEG's own colour space)."""
    y = luma601(rgb)
    return y, 0.564 * (rgb[..., 2] - y), 0.713 * (rgb[..., 0] - y)


def luma601(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma alone: the full-resolution plane needs no chroma (that is read at half resolution)."""
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # one pass over the pixels, not five


def flat_noise(plane: np.ndarray) -> float:
    """Noise σ (0-1 scale) of one plane: Immerkær's estimator averaged per tile, read on the flattest tiles."""
    if min(plane.shape) < 8:
        return 0.0
    # Tile means of the unscaled float32 response, accumulated in float64 and scaled after: the
    # numbers of the scaled float64 response (to ~1e-15) at half the memory traffic.
    tiles = _tile_means(_immerkaer(plane), dtype=np.float64) * _IMMERKAER
    return float(np.percentile(tiles, NOISE_PERCENTILE))


def focus_map(luma: np.ndarray, noise: float) -> np.ndarray:
    """log10 detail energy per tile: Laplacian energy of the lightly smoothed luma minus what noise of
    σ=`noise` puts there, relative to the image's luma variance (exposure-robust, as iqa.sharpness)."""
    energy = _laplacian(_smooth(luma))
    np.square(energy, out=energy)
    return _focus(_tile_means(energy), noise, luma)


def _focus(energy_tiles: np.ndarray, noise: float, luma: np.ndarray) -> np.ndarray:
    # 4x the white-noise prediction: real (correlated) noise leaves more than the white prediction.
    floor = 4.0 * _smoothed_laplacian_gain() * noise**2
    detail = np.maximum(energy_tiles - floor, 1e-9)
    return np.log10(detail / max(float(luma.var()), 1e-6))


#: Rows of the full-resolution plane filtered at a time: one tile row, so that all of a strip's passes
#: run on data in the core's cache (a 1024-px plane is 3 MB and the filters are memory-bound on it).
STRIP = TILE


def _strip_tiles(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """flat_noise's tile means (scaled, float64) and focus_map's tile energies for a plane of at least
    TILE×TILE: the same filters with the same order of operations, strip by strip from one reflected
    copy. The smoothed plane is computed one pixel beyond each edge instead of reflected afterwards:
    the filter is symmetric, so those pixels equal their reflections exactly."""
    h, w = luma.shape
    p = np.pad(luma, 3, mode="reflect")  # row r, column c of the plane is p[r + 3, c + 3]
    noise, energy = [], []
    for r0 in range(0, (h // TILE) * TILE, STRIP):
        s = min(STRIP, (h // TILE) * TILE - r0)
        block = p[r0 : r0 + s + 6]  # rows r0-3 .. r0+s+2, columns -3 .. w+2
        # Immerkær's mask on rows r0 .. r0+s-1 from rows and columns one beyond (as iqa._immerkaer).
        near = block[2 : s + 4, 2 : w + 4]
        across = near[:, 0:w] - 2 * near[:, 1 : w + 1]
        across += near[:, 2 : w + 2]
        response = across[0:s] - 2 * across[1 : s + 1]
        response += across[2 : s + 2]
        noise.append(_tile_means(np.abs(response, out=response), dtype=np.float64))
        # iqa._smooth, then iqa._laplacian of it, on rows r0-1 .. r0+s and columns -1 .. w.
        rows = _binomial(
            block[:, 0 : w + 2], block[:, 1 : w + 3], block[:, 2 : w + 4], block[:, 3 : w + 5], block[:, 4:]
        )
        smooth = _binomial(rows[0 : s + 2], rows[1 : s + 3], rows[2 : s + 4], rows[3 : s + 5], rows[4:])
        lap = smooth[0:s, 1 : w + 1] + smooth[2:, 1 : w + 1]
        lap += smooth[1 : s + 1, 0:w]
        lap += smooth[1 : s + 1, 2:]
        lap -= 4 * smooth[1 : s + 1, 1 : w + 1]
        energy.append(_tile_means(np.square(lap, out=lap)))
    return np.concatenate(noise) * _IMMERKAER, np.concatenate(energy)


def blocking(luma: np.ndarray) -> float:
    """JPEG blocking visible at this size: log of the mean step across 8-pixel block boundaries over the
    mean step elsewhere (0 = none). Resized images lose the grid and read ≈ 0, as they look."""
    if min(luma.shape) < 32:
        return 0.0
    steps = []
    for plane in (luma, luma.T):
        # Steps across the borders (between columns 8k-1 and 8k) and all steps, summed without copies.
        border = np.abs(plane[:, 8::8] - plane[:, 7:-1:8])
        total = float(np.abs(np.diff(plane, axis=1)).sum())
        n_all, n_border = plane.shape[0] * (plane.shape[1] - 1), border.size
        at = float(border.sum()) / n_border
        off = (total - float(border.sum())) / (n_all - n_border)
        steps.append(np.log((at + 1e-4) / (off + 1e-4)))
    return float(np.mean(steps))


def detail_signals(rgb: np.ndarray) -> dict[str, float]:
    """Focus map summary, noise and blocking of a 0-1 RGB array at (near) native resolution."""
    y = luma601(rgb)
    # Chroma at half resolution: JPEG stores it 4:2:0, so that is its native grid (and 4x cheaper).
    _, cb, cr = ycbcr(rgb[::2, ::2])
    if min(y.shape) >= TILE:
        noise_tiles, energy_tiles = _strip_tiles(y)
        noise = float(np.percentile(noise_tiles, NOISE_PERCENTILE))
        focus = _focus(energy_tiles, noise, y)
    else:  # a single tile: the whole-plane filters (and their small-image rules)
        noise = flat_noise(y)
        focus = focus_map(y, noise)
    return {
        "focus_peak": float(np.percentile(focus, FOCUS_PERCENTILE)),
        "focus_median": float(np.median(focus)),
        "focus_spread": float(np.percentile(focus, FOCUS_PERCENTILE) - np.percentile(focus, 25)),
        "luma_noise": noise,
        "chroma_noise": 0.5 * (flat_noise(cb) + flat_noise(cr)),
        "blocking": blocking(y),
    }
