"""Hand-crafted quality features (ranker/features/iqa.py): shapes, determinism, and that each signal
means what its name says on real photos (scikit-image's bundled ones and tests/data JPEGs)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from ranker.datasets.synthetic import Defect, apply_defect
from ranker.features.iqa import (
    ClippingExtractor,
    ExposureProfileExtractor,
    IqaExtractor,
    NoiseExtractor,
    clipping,
    colorfulness,
    contrast,
    exposure,
    luminance,
    noise_sigma,
    quality_signals,
    sharpness,
)
from tests.ranker.features.conftest import REAL_PHOTOS, SKIMAGE_PHOTOS
from tests.ranker.features.tiny_models import add_gaussian_noise, as_float, exposed, mid_grey_ev

ALL_PHOTOS = SKIMAGE_PHOTOS + REAL_PHOTOS
EXTRACTORS = [
    (IqaExtractor, 4, ("sharpness", "exposure", "colorfulness", "contrast")),
    (NoiseExtractor, 1, ("noise",)),
    (ClippingExtractor, 2, ("highlights", "shadows")),
    (ExposureProfileExtractor, 4, ("brightness", "exposure", "highlights", "shadows")),
]


# --- the extractor interface -------------------------------------------------------------------------


@pytest.mark.parametrize("cls, dim, fields", EXTRACTORS, ids=lambda v: getattr(v, "__name__", None))
def test_output_shape_dtype_and_batches(cls, dim, fields, small_photos):
    extractor = cls()
    assert extractor.dim == dim
    for batch in ([], small_photos[:1], small_photos):
        out = extractor.extract(batch)
        assert out.shape == (len(batch), dim)
        assert out.dtype == np.float32
        assert np.isfinite(out).all()
    # each row is the named signals of that photo, in order, whatever the batch around it
    out = extractor.extract(small_photos)
    for row, image in zip(out, small_photos):
        np.testing.assert_array_equal(row, np.float32([quality_signals(image)[key] for key in fields]))
        np.testing.assert_array_equal(row, extractor.extract([image])[0])


@pytest.mark.parametrize("cls, dim, fields", EXTRACTORS, ids=lambda v: getattr(v, "__name__", None))
def test_deterministic_including_a_fresh_decode(cls, dim, fields, photos):
    extractor = cls()
    image = photos["coffee"]
    first = extractor.extract([image])
    np.testing.assert_array_equal(first, extractor.extract([image]))
    # a copy is a new object: nothing comes from the per-image cache, the filters really run again
    np.testing.assert_array_equal(first, extractor.extract([image.copy()]))


@pytest.mark.parametrize("size", [(1, 1), (3, 3), (5, 5), (1, 600), (900, 2)])
def test_degenerate_sizes_give_finite_features(size):
    image = Image.new("RGB", size, (128, 60, 30))
    for cls, dim, _ in EXTRACTORS:
        out = cls().extract([image])
        assert out.shape == (1, dim) and np.isfinite(out).all()


def test_large_photo_is_measured_at_analysis_size(photos):
    """A 4× upscaled frame measures like the original (features are taken at a fixed 512 px long side)."""
    image = photos["chelsea"]
    big = image.resize((image.width * 4, image.height * 4), Image.Resampling.BICUBIC)
    small, large = quality_signals(image), quality_signals(big)
    assert large["exposure"] == pytest.approx(small["exposure"], abs=0.02)
    assert large["colorfulness"] == pytest.approx(small["colorfulness"], abs=0.02)


# --- each signal means what it says --------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_blurred_frame_is_less_sharp(name, photos):
    image = photos[name]
    blurred = image.filter(ImageFilter.GaussianBlur(2))
    assert quality_signals(blurred)["sharpness"] < quality_signals(image)["sharpness"] - 0.3


@pytest.mark.parametrize("name", ALL_PHOTOS)
@pytest.mark.parametrize("sigma", (0.015, 0.03, 0.05, 0.08))
def test_signal_dependent_sensor_noise_does_not_look_sharper(name, sigma, photos):
    """The synthetic high-ISO defect (shot + read noise, some chroma) is harder than white noise."""
    image = photos[name]
    noisy = apply_defect(image, Defect("noise", sigma), np.random.default_rng(0))
    assert quality_signals(noisy)["sharpness"] <= quality_signals(image)["sharpness"]


@pytest.mark.parametrize("sigma", (0.015, 0.03, 0.05, 0.08))
@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_noisy_frame_is_not_sharper_and_is_noisier(name, sigma, photos):
    image = photos[name]
    clean, noisy = quality_signals(image), quality_signals(add_gaussian_noise(image, sigma, seed=0))
    assert noisy["noise"] > clean["noise"]
    assert noisy["sharpness"] <= clean["sharpness"]


@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_noise_rises_with_sigma(name, photos):
    image = photos[name]
    levels = [quality_signals(image)["noise"]]
    levels += [quality_signals(add_gaussian_noise(image, sigma, seed=1))["noise"] for sigma in (0.03, 0.08)]
    assert levels == sorted(levels) and levels[2] > levels[0] + 0.005


def test_noise_sigma_recovers_the_added_sigma_on_a_flat_frame():
    """Immerkær on a flat mid-grey frame (no resampling: 256 px) reads the σ that was added."""
    flat = Image.new("RGB", (256, 256), (128, 128, 128))
    for sigma in (0.02, 0.05):
        luma = luminance(as_float(add_gaussian_noise(flat, sigma, seed=2)))
        # luma mixes three independent channels: σ_luma = σ·‖(0.2126, 0.7152, 0.0722)‖
        expected = sigma * float(np.linalg.norm([0.2126, 0.7152, 0.0722]))
        assert noise_sigma(luma) == pytest.approx(expected, rel=0.15)


EXPOSURE_PHOTOS = ("coffee", "chelsea", "rocket", "camera", "landscape_6.jpg", "Canon_40D.jpg")


@pytest.mark.parametrize("name", EXPOSURE_PHOTOS)
def test_under_and_over_exposed_frames_score_lower_exposure(name, photos):
    # every frame is re-exposed from the original (not from an 8-bit, possibly clipped, balanced copy)
    image, ev = photos[name], mid_grey_ev(photos[name])
    reference = quality_signals(exposed(image, ev))["exposure"]
    assert quality_signals(exposed(image, ev - 2.0))["exposure"] < reference
    assert quality_signals(exposed(image, ev + 1.5))["exposure"] < reference


def test_exposure_definition_on_flat_frames():
    def flat(level: int) -> float:
        return exposure(luminance(as_float(Image.new("RGB", (32, 32), (level,) * 3))))

    assert flat(128) == pytest.approx(1.0, abs=1e-3)
    assert flat(0) < 0.05 and flat(255) < 0.05
    assert flat(128) > flat(90) > flat(30) and flat(128) > flat(170) > flat(230)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "landscape_6.jpg"])
def test_greyscale_has_no_colourfulness(name, photos):
    grey = photos[name].convert("L").convert("RGB")
    assert quality_signals(grey)["colorfulness"] == pytest.approx(0.0, abs=1e-6)
    assert quality_signals(photos[name])["colorfulness"] > 0.05
    assert quality_signals(photos["camera"])["colorfulness"] == pytest.approx(0.0, abs=1e-6)  # a greyscale photo


def test_colourfulness_orders_saturation(photos):
    rgb = as_float(photos["coffee"])
    grey = luminance(rgb)[..., None]
    values = [colorfulness(grey + k * (rgb - grey)) for k in (0.0, 0.5, 1.0)]
    assert values[0] == pytest.approx(0.0, abs=1e-6) and values[0] < values[1] < values[2]


def test_clipping_detects_blown_highlights_and_crushed_shadows():
    rgb = np.full((100, 100, 3), 0.5, dtype=np.float32)
    rgb[:30] = 1.0  # 30% blown white
    rgb[30:40, :, 0] = 1.0  # 10% with only the red channel blown: still a clipped highlight
    rgb[90:] = 0.0  # 10% crushed black
    highlights, shadows = clipping(rgb)
    assert highlights == pytest.approx(0.40)
    assert shadows == pytest.approx(0.10)
    assert clipping(np.full((10, 10, 3), 0.5, dtype=np.float32)) == (0.0, 0.0)


@pytest.mark.parametrize("name", ["coffee", "chelsea", "landscape_6.jpg"])
def test_overexposure_blows_highlights(name, photos):
    clean = quality_signals(photos[name])
    over = quality_signals(exposed(photos[name], +1.5))
    under = quality_signals(exposed(photos[name], -3.0))
    assert over["highlights"] > clean["highlights"] + 0.05
    assert under["highlights"] <= clean["highlights"]
    assert under["shadows"] >= clean["shadows"]


def test_brightness_is_ev_relative_to_mid_grey():
    def flat(level: int) -> float:
        return quality_signals(Image.new("RGB", (64, 64), (level,) * 3))["brightness"]

    assert flat(118) == pytest.approx(0.0, abs=0.01)  # sRGB 118 is 18% grey in linear light
    assert flat(255) == pytest.approx(np.log2(1 / 0.18), abs=0.01)
    assert flat(0) < -10  # black is floored, not -inf


@pytest.mark.parametrize("name", ["coffee", "chelsea", "camera", "landscape_6.jpg"])
def test_brightness_follows_exposure_compensation_in_stops(name, photos):
    # a stop down halves linear light everywhere: -1 EV exactly, until shadows reach the 8-bit floor;
    # a stop up is less than +1 EV where highlights clip
    image = photos[name]
    base = quality_signals(image)["brightness"]
    assert quality_signals(exposed(image, -1.0))["brightness"] == pytest.approx(base - 1.0, abs=0.05)
    assert base + 0.5 < quality_signals(exposed(image, +1.0))["brightness"] <= base + 1.02


def test_contrast_is_luma_standard_deviation():
    half = np.zeros((10, 10, 3), dtype=np.float32)
    half[:5] = 1.0
    assert contrast(luminance(half)) == pytest.approx(0.5, abs=1e-5)
    assert contrast(luminance(np.full((10, 10, 3), 0.3, dtype=np.float32))) == pytest.approx(0.0, abs=1e-6)


def test_sharpness_of_a_textureless_frame_is_tiny(photos):
    """A frame with no detail at all must not out-score a real photo."""
    flat = luminance(np.full((64, 64, 3), 0.5, dtype=np.float32))
    assert sharpness(flat) < quality_signals(photos["coffee"])["sharpness"]


@pytest.mark.parametrize(
    ("shape", "size", "expected"),
    [((683, 1024, 3), 512, (341, 512, 3)), ((341, 512, 3), 192, (128, 192, 3)), ((300, 400, 3), 512, (300, 400, 3))],
)
def test_area_reduction_takes_whole_factors_exactly(shape, size, expected):
    """A whole factor (1024 -> 512) is the exact block mean; otherwise halving first (512 -> 256) then the
    fractional rest (-> 192); never an enlargement."""
    from ranker.features.iqa import area_reduced

    pixels = np.random.default_rng(2).integers(0, 256, size=shape, dtype=np.uint8)
    reduced = area_reduced(pixels, size)
    assert reduced.shape == expected
    if shape[1] == 2 * size:  # the whole factor: each output pixel is its 2x2 block's mean, rounded
        blocks = pixels[: expected[0] * 2].reshape(expected[0], 2, expected[1], 2, 3).mean(axis=(1, 3))
        assert np.abs(reduced.astype(float) - blocks).max() <= 0.5
