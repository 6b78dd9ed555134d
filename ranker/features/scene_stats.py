"""In-the-wild statistics that complement BRISQUE, as one 56-number vector: tonal range, spectral slope,
σ-map, colour NSS and GM-LOG (each in its own module), read at ANALYSIS_SIZE (colour at half of it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from ranker.features import colour_nss, gm_log, sigma_map, spectrum, tonal
from ranker.features.base import FeatureExtractor
from ranker.features.iqa import ANALYSIS_SIZE, analysis_planes, analysis_sigma

#: the pixels a group reads: uint8 RGB, its 0-1 luma, and the luma's local σ at full and half size
_Planes = tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]

#: (prefix, names, function of the planes) in vector order. DESIQUE's log-derivatives (20 numbers, 2.3 ms a
#: photo) were dropped in version 4: with the groups below beside them, 4-fold CLIVE CV read 0.657 with
#: them and 0.662 without (docs/BENCHMARKS.md).
_GROUPS: tuple[tuple[str, tuple[str, ...], Callable[[_Planes], np.ndarray]], ...] = (
    ("tonal", tonal.FEATURE_NAMES, lambda p: tonal.tonal_features(p[1])),
    ("spectrum", spectrum.FEATURE_NAMES, lambda p: spectrum.spectral_slopes(p[1])),
    ("sigma", sigma_map.FEATURE_NAMES, lambda p: sigma_map.sigma_map_features(*p[2])),
    ("colour", colour_nss.FEATURE_NAMES, lambda p: colour_nss.colour_nss_features(p[0])),
    ("gmlog", gm_log.FEATURE_NAMES, lambda p: gm_log.gm_log_features(p[1])),
)
FEATURE_NAMES = tuple(f"{prefix}_{name}" for prefix, names, _ in _GROUPS for name in names)


def scene_stats(rgb8: np.ndarray, luma: np.ndarray, sigma: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The 56 numbers of a uint8 RGB image, its 0-1 Rec. 709 luma (the same pixels) and the luma's local
    σ fields at full and half size (ranker.features.nss.brisque_with_sigma's)."""
    planes = (rgb8, luma, sigma)
    return np.concatenate([function(planes) for _, _, function in _GROUPS]).astype(np.float32)


class SceneStatsExtractor(FeatureExtractor):
    """What BRISQUE's luma MSCN statistics miss on real photos (FRIQUEE, HIGRADE, GM-LOG, DESIQUE):
    band, σ-map and gradient statistics of the luma, its tonal range, and the structure of its colour."""

    name = "scene_stats"
    dim = len(FEATURE_NAMES)
    version = "4"  # 3: colour statistics at half size; 4: no log-derivatives, spectrum on a fast FFT length
    decode_size = ANALYSIS_SIZE
    per_photo = True

    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        rows = [scene_stats(*analysis_planes(image), analysis_sigma(image)) for image in images]
        return np.asarray(rows, dtype=np.float32).reshape(len(images), self.dim)
