"""Near-native detail (ranker/features/detail.py): focus map, noise where flat, chroma noise, JPEG blocking."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from ranker.features.detail import blocking, detail_signals, flat_noise, ycbcr
from ranker.features.iqa import DetailExtractor, quality_signals
from tests.ranker.features.tiny_models import add_gaussian_noise, as_float


def test_extractor_reads_the_signals_in_order(photos):
    row = DetailExtractor().extract([photos["coffee"]])[0]
    signals = quality_signals(photos["coffee"])
    assert list(row) == [np.float32(signals[k]) for k in DetailExtractor.fields]


def test_the_focus_peak_drops_with_blur_even_when_only_the_subject_was_sharp(photos):
    image = photos["astronaut"]
    blurred = image.filter(ImageFilter.GaussianBlur(2.0))
    soft = detail_signals(as_float(blurred))
    sharp = detail_signals(as_float(image))
    assert soft["focus_peak"] < sharp["focus_peak"] - 0.3
    # A sharp subject on a blurred background (shallow depth of field): the peak still sees the subject,
    # the median sees the background.
    partial = blurred.copy()
    partial.paste(image.crop((128, 64, 384, 320)), (128, 64))
    shallow = detail_signals(as_float(partial))
    assert shallow["focus_peak"] > soft["focus_peak"] + 0.3
    assert shallow["focus_median"] < sharp["focus_median"] - 0.3


def test_fine_texture_is_not_noise_but_grain_is(photos):
    # The DSLR case: a sharp, finely textured frame must not read as noisier than a blurred one.
    image = photos["chelsea"]
    soft = image.filter(ImageFilter.GaussianBlur(2.0))
    sharp_noise = detail_signals(as_float(image))["luma_noise"]
    assert sharp_noise < detail_signals(as_float(soft))["luma_noise"] + 0.004
    assert detail_signals(as_float(add_gaussian_noise(image, 0.04, seed=0)))["luma_noise"] > sharp_noise + 0.01


def test_chroma_noise_answers_to_colour_noise_more_than_to_luma_noise(photos):
    rgb = as_float(photos["coffee"])
    rng = np.random.default_rng(0)
    luma_only = np.clip(rgb + rng.normal(0, 0.04, rgb.shape[:2] + (1,)), 0, 1).astype(np.float32)
    per_channel = rng.normal(0, 0.04, rgb.shape)
    colour = np.clip(rgb + per_channel - per_channel.mean(axis=2, keepdims=True), 0, 1).astype(np.float32)
    assert flat_noise(ycbcr(colour)[1]) > 2 * flat_noise(ycbcr(luma_only)[1])
    assert detail_signals(colour)["chroma_noise"] > detail_signals(luma_only)["chroma_noise"]


def test_jpeg_blocking_grows_as_quality_falls(photos):
    def at(quality):
        buffer = io.BytesIO()
        photos["astronaut"].save(buffer, "JPEG", quality=quality)
        return blocking(ycbcr(as_float(Image.open(buffer).convert("RGB")))[0])

    assert at(8) > at(40) + 0.05 > at(95) + 0.05
    assert abs(blocking(ycbcr(as_float(photos["astronaut"]))[0])) < 0.05  # an uncompressed photo has no grid
