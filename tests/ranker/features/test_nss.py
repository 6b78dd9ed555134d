"""BRISQUE natural-scene statistics (ranker/features/nss.py): 36 finite numbers that move the way the paper says."""

from __future__ import annotations

import numpy as np
from PIL import ImageFilter

from ranker.features.iqa import NssExtractor, luminance
from ranker.features.nss import FEATURE_NAMES, brisque_features, fit_aggd, fit_ggd
from tests.ranker.features.tiny_models import add_gaussian_noise, as_float


def _features(image):
    return dict(zip(FEATURE_NAMES, brisque_features(luminance(as_float(image)))))


def test_36_finite_numbers_and_the_extractor_matches(photos):
    values = brisque_features(luminance(as_float(photos["astronaut"])))
    assert values.shape == (36,) and len(FEATURE_NAMES) == 36 and np.isfinite(values).all()
    row = NssExtractor().extract([photos["astronaut"]])[0]
    assert row.shape == (36,) and np.isfinite(row).all()


def test_moment_matching_recovers_known_shapes():
    rng = np.random.default_rng(0)
    assert abs(fit_ggd(rng.normal(size=200_000))[0] - 2.0) < 0.1  # a Gaussian has shape 2
    assert abs(fit_ggd(rng.laplace(size=200_000))[0] - 1.0) < 0.1  # a Laplacian has shape 1
    shape, mean, left, right = fit_aggd(np.abs(rng.normal(size=100_000)))  # all mass on the right
    assert mean > 0 and right > left


def test_blur_and_noise_bend_the_statistics_in_opposite_ways(photos):
    image = photos["chelsea"]
    clean = _features(image)
    blurred = _features(image.filter(ImageFilter.GaussianBlur(2.5)))
    noisy = _features(add_gaussian_noise(image, 0.06, seed=0))
    # Blur leaves MSCN coefficients peaky (small shape) with less normalised contrast; white noise makes
    # them Gaussian (shape towards 2) — what lets a model tell the two apart.
    assert blurred["s1_ggd_var"] < clean["s1_ggd_var"]
    assert noisy["s1_ggd_shape"] > clean["s1_ggd_shape"]
    assert noisy["s1_ggd_shape"] > blurred["s1_ggd_shape"]


def test_tiny_images_give_zeros_not_errors():
    assert not brisque_features(np.zeros((8, 8), np.float32)).any()
