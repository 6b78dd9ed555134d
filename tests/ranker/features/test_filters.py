"""The OpenCV filters compute the definitions they replace: SciPy's Gaussians and the NumPy shifted sums."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from ranker.features import filters
from tests.ranker.features import signals_reference as reference

#: float32 sums in another order: a few units in the last place of values up to ~10
ATOL = 2e-6

SHAPES = [(7, 9), (8, 8), (33, 20), (64, 101)]


def _plane(shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(sum(shape)).random(shape, dtype=np.float32)


@pytest.mark.parametrize("shape", SHAPES)
def test_smooth_and_laplacian_are_the_shifted_sums(shape):
    luma = _plane(shape)
    np.testing.assert_allclose(filters.smooth(luma), reference._smooth(luma), atol=ATOL)
    np.testing.assert_allclose(filters.laplacian(luma), reference._laplacian(luma), atol=ATOL)


@pytest.mark.parametrize("shape", SHAPES)
def test_immerkaer_is_the_mask_over_a_reflected_border(shape):
    luma = _plane(shape)
    mask = np.outer([1, -2, 1], [1, -2, 1])
    p = np.pad(luma.astype(np.float64), 1, mode="reflect")
    h, w = luma.shape
    want = np.abs(sum(mask[i, j] * p[i : i + h, j : j + w] for i in range(3) for j in range(3)))
    np.testing.assert_allclose(filters.immerkaer(luma), want, atol=ATOL)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_half_grid_is_the_full_filter_subsampled(shape):
    luma = _plane(shape)
    np.testing.assert_array_equal(filters.laplacian(luma, step=2), filters.laplacian(luma)[::2, ::2])
    np.testing.assert_array_equal(filters.immerkaer(luma, step=2), filters.immerkaer(luma)[::2, ::2])
    taps = np.array([0.25, 0.5, 0.25], np.float32)
    np.testing.assert_array_equal(filters.separable(luma, taps, step=2), filters.separable(luma, taps)[::2, ::2])


@pytest.mark.parametrize("sigma", [0.5, 1.5, 2.0])
def test_gaussians_are_scipys(sigma):
    luma = _plane((40, 57))
    np.testing.assert_allclose(filters.gaussian(luma, sigma), ndimage.gaussian_filter(luma, sigma), atol=ATOL)
    np.testing.assert_allclose(
        filters.gaussian_gradient_magnitude(luma, sigma), ndimage.gaussian_gradient_magnitude(luma, sigma), atol=ATOL
    )


def test_float64_planes_stay_float64():
    luma = _plane((20, 20)).astype(np.float64)
    assert filters.gaussian(luma, 1.5).dtype == np.float64
    np.testing.assert_allclose(filters.gaussian(luma, 1.5), ndimage.gaussian_filter(luma, 1.5), atol=1e-12)


def test_borders_reflect_about_the_edge_pixel_or_repeat_it():
    row = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32).repeat(3, axis=0)
    taps = np.array([1.0, 0.0, 0.0], np.float32)  # each pixel takes its left neighbour
    assert filters.filtered(row, taps, np.array([0.0, 1.0, 0.0], np.float32))[0, 0] == 2.0  # reflect: x[1]
    symmetric = filters.filtered(row, taps, np.array([0.0, 1.0, 0.0], np.float32), border="symmetric")
    assert symmetric[0, 0] == 1.0  # symmetric: x[0] again


def test_smoothed_laplacian_gain_is_the_filter_pairs_energy():
    # white noise of σ² through smooth-then-Laplacian keeps σ²·Σh² of its variance
    noise = np.random.default_rng(1).normal(0.0, 1.0, (400, 400))
    measured = float(filters.laplacian(filters.smooth(noise))[10:-10, 10:-10].var())
    assert measured == pytest.approx(filters.smoothed_laplacian_gain(), rel=0.03)


@pytest.mark.parametrize("shape", [(7, 9, 3), (8, 10, 3), (5, 6), (1, 5, 3)])
def test_every_other_is_the_strided_view_of_whole_pixel_pairs(shape):
    pixels = np.random.default_rng(3).integers(0, 256, size=shape, dtype=np.uint8)
    half = filters.every_other(pixels)
    whole_pairs = pixels[: shape[0] // 2 * 2 : 2, : shape[1] // 2 * 2 : 2]
    np.testing.assert_array_equal(half, whole_pairs if whole_pairs.size else pixels[::2, ::2])
    assert half.flags.c_contiguous


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_channel_mixes_are_the_weighted_sums_of_the_channels(rows):
    """Two rows go through OpenCV's three-output path (its two-output one is 6x slower): same sums."""
    rng = np.random.default_rng(5)
    rgb8 = rng.integers(0, 256, size=(13, 17, 3), dtype=np.uint8)
    weights = rng.normal(size=(rows, 3))
    expected = (rgb8 / 255.0) @ weights.T
    planes = filters.mix_planes(rgb8, weights) if rows > 1 else [filters.mix(rgb8, weights[0])]
    assert len(planes) == rows
    for k, plane in enumerate(planes):
        assert plane.shape == (13, 17) and plane.dtype == np.float32 and plane.flags.c_contiguous
        np.testing.assert_allclose(plane, expected[..., k], rtol=1e-5, atol=1e-6)
