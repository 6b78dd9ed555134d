"""The in-the-wild statistics next to BRISQUE (ranker/features/scene_stats.py and its parts): 56 finite
numbers, deterministic, that move with blur, noise, chroma noise, exposure and colour the way they should."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from ranker.features import colour_nss, gm_log, sigma_map, spectrum, tonal
from ranker.features.registry import get_spec
from ranker.features.scene_stats import FEATURE_NAMES, SceneStatsExtractor
from tests.ranker.features.tiny_models import add_gaussian_noise, exposed


def _stats(image: Image.Image) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, SceneStatsExtractor().extract([image])[0]))


@pytest.fixture(scope="module")
def chelsea(photos):
    return _stats(photos["chelsea"])


def test_56_finite_named_numbers_the_same_every_time(photos):
    extractor = SceneStatsExtractor()
    rows = extractor.extract([photos["astronaut"], photos["Canon_40D.jpg"]])
    assert rows.shape == (2, 56) and rows.dtype == np.float32 and np.isfinite(rows).all()
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == 56 == get_spec("scene_stats").dim
    again = SceneStatsExtractor().extract([photos["astronaut"].copy()])  # a fresh image: nothing cached
    np.testing.assert_array_equal(again[0], rows[0])


def test_blur_steepens_the_spectrum_and_narrows_the_local_contrast(photos, chelsea):
    blurred = _stats(photos["chelsea"].filter(ImageFilter.GaussianBlur(2.5)))
    assert blurred["spectrum_slope"] < chelsea["spectrum_slope"] - 1
    # the σ field's neighbour differences narrow at both scales
    for scale in (1, 2):
        for direction in ("h", "v"):
            assert (
                blurred[f"sigma_s{scale}_{direction}_log_rvar"] < chelsea[f"sigma_s{scale}_{direction}_log_rvar"] - 0.5
            )
    # GM-LOG: blur moves the |LoG| mass to its lowest level
    assert blurred["gmlog_log_marginal_0"] > chelsea["gmlog_log_marginal_0"]
    assert blurred["sigma_s1_var"] < chelsea["sigma_s1_var"]


def test_noise_evens_the_local_contrast_and_flattens_the_spectrum(photos, chelsea):
    noisy = _stats(add_gaussian_noise(photos["chelsea"], 0.06, seed=0))
    # grain everywhere leaves no flat patch: the σ field loses its heavy tail (its GGD shape rises)
    assert noisy["sigma_s1_shape"] > chelsea["sigma_s1_shape"] + 0.5
    assert noisy["spectrum_slope_high"] > chelsea["spectrum_slope_high"]
    assert noisy["gmlog_log_marginal_4"] > chelsea["gmlog_log_marginal_4"]


def test_chroma_noise_raises_the_colour_statistics_and_grey_has_none(photos, chelsea):
    ycc = np.asarray(photos["chelsea"].convert("YCbCr")).astype(np.float32)
    ycc[..., 1:] += np.random.default_rng(0).normal(0, 8, ycc[..., 1:].shape)
    speckled = _stats(Image.fromarray(np.clip(ycc, 0, 255).astype(np.uint8), "YCbCr").convert("RGB"))
    grey = _stats(photos["chelsea"].convert("L").convert("RGB"))
    for name in colour_nss.FEATURE_NAMES:
        if name.endswith("_var"):
            assert speckled[f"colour_{name}"] > 2 * chelsea[f"colour_{name}"]
        assert grey[f"colour_{name}"] == 0.0
    # the luma statistics barely notice: a grey copy keeps its spectrum and its local contrast
    assert abs(grey["spectrum_slope"] - chelsea["spectrum_slope"]) < 0.1
    assert abs(grey["sigma_s1_h_log_rvar"] - chelsea["sigma_s1_h_log_rvar"]) < 0.1


def test_underexposure_shows_in_the_tonal_range(photos, chelsea):
    dark = _stats(exposed(photos["chelsea"], -2.0))
    assert dark["tonal_log_mean"] < chelsea["tonal_log_mean"] - 0.5
    assert dark["tonal_log_p90"] < chelsea["tonal_log_p90"]
    assert dark["tonal_near_black"] > chelsea["tonal_near_black"]


def test_gm_log_histograms_are_shares():
    luma = np.random.default_rng(1).random((64, 80)).astype(np.float32)
    values = gm_log.gm_log_features(luma)
    for start in range(0, 20, 5):
        assert values[start : start + 5].sum() == pytest.approx(1.0, abs=1e-5)
        assert (values[start : start + 5] >= 0).all()


def test_tiny_images_give_zeros_not_errors():
    luma = np.zeros((8, 8), np.float32)
    for function, names in (
        (spectrum.spectral_slopes, spectrum.FEATURE_NAMES),
        (gm_log.gm_log_features, gm_log.FEATURE_NAMES),
    ):
        values = function(luma)
        assert values.shape == (len(names),) and not values.any()
    sigma = sigma_map.sigma_map_features(luma, luma[::2, ::2])  # the σ fields of a tiny image
    assert sigma.shape == (len(sigma_map.FEATURE_NAMES),) and not sigma.any()
    assert not colour_nss.colour_nss_features(np.zeros((8, 8, 3), np.float32)).any()
    assert tonal.tonal_features(np.full((4, 4), 0.5, np.float32)).shape == (5,)
