"""Detail as a photographer checks it at 100%: a tile focus map, luma and chroma noise where flat, JPEG blocking."""

from __future__ import annotations

import numpy as np

from ranker.features import filters
from ranker.features.iqa import NOISE_SCALE

#: Tiles of this many pixels (at the analysed size): small enough that a subject fills a few,
#: large enough that each holds real structure.
TILE = 32
#: The focus map's "in-focus subject": the 90th-percentile tile. A photo needs only its subject sharp,
#: so the best tiles matter, not the average one (a shallow-depth-of-field portrait is mostly blur).
FOCUS_PERCENTILE = 90
#: Noise is read from the flattest tenth of tiles: texture inflates every local noise estimate, so the
#: tiles with the least response are the ones where only noise is left (a DSLR's fine foliage is not grain).
NOISE_PERCENTILE = 10


def _tile_means(values: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Mean of each full tile×tile block (a ragged border is dropped), as float64."""
    h, w = (values.shape[0] // tile) * tile, (values.shape[1] // tile) * tile
    if h == 0 or w == 0:
        return np.asarray([float(values.mean(dtype=np.float64))])
    # area resampling by a whole factor is exactly the block mean (5x NumPy's reduction over two axes)
    cv2 = filters.opencv()
    means: np.ndarray = cv2.resize(values[:h, :w], (w // tile, h // tile), interpolation=cv2.INTER_AREA)
    return means.ravel().astype(np.float64)


_LUMA601 = np.array([0.299, 0.587, 0.114])
#: BT.601 luma and the colour differences Cb = 0.564·(B - Y), Cr = 0.713·(R - Y) as rows of one matrix
_YCBCR = np.array([_LUMA601, 0.564 * (np.array([0, 0, 1]) - _LUMA601), 0.713 * (np.array([1, 0, 0]) - _LUMA601)])


def ycbcr(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 luma and the two colour-difference planes of an RGB array, uint8 or 0-1 (JPEG's own colour
    space), each contiguous for the filters."""
    y, cb, cr = filters.mix_planes(rgb, _YCBCR)
    return y, cb, cr


def luma601(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma alone of an RGB array, uint8 or 0-1: the full-resolution plane needs no chroma (that
    is read at half resolution)."""
    return filters.mix(rgb, _LUMA601)


def flat_noise(plane: np.ndarray) -> float:
    """Noise σ (0-1 scale) of one plane: Immerkær's estimator averaged per tile, read on the flattest tiles."""
    if min(plane.shape) < 8:
        return 0.0
    tiles = _tile_means(filters.immerkaer(plane)) * NOISE_SCALE
    return float(np.percentile(tiles, NOISE_PERCENTILE))


def focus_map(luma: np.ndarray, noise: float) -> np.ndarray:
    """log10 detail energy per tile: Laplacian energy of the lightly smoothed luma minus what noise of
    σ=`noise` puts there, relative to the image's luma variance (exposure-robust, as iqa.sharpness)."""
    energy = filters.laplacian(filters.smooth(luma))
    energy_tiles = _tile_means(np.square(energy, out=energy))
    # 4x the white-noise prediction: real (correlated) noise leaves more than the white prediction.
    floor = 4.0 * filters.smoothed_laplacian_gain() * noise**2
    detail = np.maximum(energy_tiles - floor, 1e-9)
    return np.log10(detail / max(_variance(luma), 1e-6))


def _variance(plane: np.ndarray) -> float:
    """The plane's variance, accumulated in double in one pass (NumPy's var makes two and a temporary)."""
    _, std = filters.opencv().meanStdDev(plane)
    return float(std[0, 0]) ** 2


def _along(plane: np.ndarray, axis: int, start: int | None, stop: int | None, step: int | None = None) -> np.ndarray:
    """plane[start:stop:step] along `axis` (0: rows, 1: columns), a view."""
    view: np.ndarray = plane[(slice(None),) * axis + (slice(start, stop, step),)]
    return view


def blocking(luma: np.ndarray) -> float:
    """JPEG blocking visible at this size: log of the mean step across 8-pixel block boundaries over the
    mean step elsewhere (0 = none). Resized images lose the grid and read ≈ 0, as they look."""
    if min(luma.shape) < 32:
        return 0.0
    cv2 = filters.opencv()
    steps = []
    for axis in (1, 0):  # across the columns, then down the rows (no transposed copy)
        # Steps across the borders (between pixels 8k-1 and 8k), and all steps as one L1 norm of the
        # plane against itself shifted by a pixel (no temporaries).
        border = float(np.abs(_along(luma, axis, 8, None, 8) - _along(luma, axis, 7, -1, 8)).sum())
        total = cv2.norm(_along(luma, axis, 1, None), _along(luma, axis, None, -1), cv2.NORM_L1)
        lines = luma.size // luma.shape[axis]  # rows (axis 1) or columns (axis 0)
        n_all, n_border = luma.size - lines, lines * len(range(8, luma.shape[axis], 8))
        at = border / n_border
        off = (total - border) / (n_all - n_border)
        steps.append(np.log((at + 1e-4) / (off + 1e-4)))
    return float(np.mean(steps))


def detail_signals(rgb: np.ndarray) -> dict[str, float]:
    """Focus map summary, noise and blocking of an RGB array (uint8, or 0-1) at (near) native resolution."""
    y = luma601(rgb)
    # Chroma at half resolution: JPEG stores it 4:2:0, so that is its native grid (and 4x cheaper).
    _, cb, cr = ycbcr(filters.every_other(rgb))
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
