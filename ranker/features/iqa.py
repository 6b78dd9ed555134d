"""Hand-crafted image-quality features (no weights): the seed's four, noise, clipping, brightness, detail and NSS."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ranker.features import filters
from ranker.features.base import FeatureExtractor

#: Features are measured at this long side: large enough to see missed focus and shake at
#: screen size, small enough that JPEG draft decoding plus every filter stays a few milliseconds.
ANALYSIS_SIZE = 512


def reduced_rgb8(image: Image.Image | np.ndarray, size: int = ANALYSIS_SIZE) -> np.ndarray:
    """RGB, uint8, of the image (or of its uint8 RGB array) reduced so its long side is at most `size`
    (area averaging: every source pixel counts once, so grain and fine detail average as an eye at
    that size sees them)."""
    rgb = image if isinstance(image, np.ndarray) else rgb8_of(image)
    return area_reduced(rgb, size)


def area_reduced(pixels: np.ndarray, size: int) -> np.ndarray:
    """The array (h, w[, c]) reduced by area averaging so its long side is at most `size`. Whole
    factors go by OpenCV's exact block means, 8x faster than its fractional area resampling (of the
    683 rows of a 3:2 frame into 341.5, say): a long side that is a whole multiple of `size` (a
    1024-px decode to 512) is reduced by that factor, else the array is halved while it stays at
    least twice `size` and only the rest is fractional. An odd last row or column is dropped."""
    cv2 = filters.opencv()
    while True:
        height, width = pixels.shape[:2]
        long_side = max(width, height)
        if long_side <= size:
            return pixels
        factor, rest = divmod(long_side, size)
        if rest:  # not a whole multiple: halve while that stays at least `size`, then resample the rest
            factor = min(factor, 2)
        if factor == 1 or min(width, height) < factor:
            scale = size / long_side
            target = (max(1, round(width * scale)), max(1, round(height * scale)))
            fractional: np.ndarray = cv2.resize(pixels, target, interpolation=cv2.INTER_AREA)
            return fractional
        target = (width // factor, height // factor)
        pixels = cv2.resize(pixels[: target[1] * factor, : target[0] * factor], target, interpolation=cv2.INTER_AREA)


def rgb8_of(image: Image.Image) -> np.ndarray:
    """The image's pixels as uint8 RGB: one copy (Pillow's tobytes, which holds the GIL), so take it once."""
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


#: Rec. 709 luma weights
_LUMA709 = np.array([0.2126, 0.7152, 0.0722])


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of an RGB array, uint8 or 0-1."""
    return filters.mix(rgb, _LUMA709)


def flat_mask(luma: np.ndarray) -> np.ndarray:
    """The flattest half of the image, on the half-resolution grid (luma[::2, ::2]) where noise barely
    registers. Choosing flat pixels from a noise-free view matters: picking them by their noisy
    values would select the pixels where the noise happens to be small."""
    coarse = filters.gaussian_gradient_magnitude(luma[::2, ::2], 1.5)
    flat: np.ndarray = coarse <= np.median(coarse)
    return flat


#: Scales the mean |Immerkær response| of white noise to its σ.
NOISE_SCALE = np.sqrt(np.pi / 2.0) / 6.0


def noise_response(luma: np.ndarray, step: int = 1) -> np.ndarray:
    """Per-pixel |Immerkær mask response|, scaled so its mean over a flat region estimates noise σ
    (float64: the scale is a NumPy float64); `step` 2 gives only its [::2, ::2] samples."""
    response: np.ndarray = filters.immerkaer(luma, step) * NOISE_SCALE
    return response


def noise_sigma(luma: np.ndarray, flat: np.ndarray | None = None, response: np.ndarray | None = None) -> float:
    """Sensor noise σ (0-1 scale), Immerkær (1996), measured on the flat half of the image
    so that fine texture is not counted as noise. `response`: noise_response(luma, step=2)."""
    if min(luma.shape) < 4:
        return 0.0
    flat = flat_mask(luma) if flat is None else flat
    response = noise_response(luma, step=2) if response is None else response
    return float(response[flat].mean())


#: How many times the white-noise prediction is removed. Real noise is not white (demosaicing,
#: JPEG and resampling correlate it) and the Immerkær mask sees only its finest part, so the
#: prediction underestimates; 14 was the smallest factor for which no noisy frame of any test
#: photo (σ 0.015-0.08, white and signal-dependent) measured sharper than its clean original.
_NOISE_SAFETY = 14.0


def sharpness(luma: np.ndarray, response: np.ndarray | None = None) -> float:
    """Noise- and exposure-robust sharpness: log10 of the mean Laplacian energy of the lightly
    smoothed luma left after removing, pixel by pixel, what the local noise would put there,
    relative to the image's luma variance.

    A plain Laplacian variance rises with noise, so a grainy high-ISO frame would look sharper
    than a clean one; subtracting the locally measured noise energy (Immerkær response smoothed
    over a few pixels) keeps edges and texture and drops grain. Dividing by the luma variance
    makes it a measure of how much of the image's contrast sits in fine detail: a brighter
    (overexposed) frame of the same scene no longer looks sharper.
    """
    if min(luma.shape) < 4:
        return -9.0
    response = noise_response(luma, step=2) if response is None else response
    # Both are averaged over the half-resolution grid: a quarter of the pixels is plenty for an
    # image-wide mean, and the local noise level is smoothed there anyway.
    local = filters.gaussian(response, 1.5)
    energy = filters.laplacian(filters.smooth(luma), step=2) ** 2
    detail = float(np.maximum(energy - _NOISE_SAFETY * filters.smoothed_laplacian_gain() * local**2, 0.0).mean())
    return float(np.log10(max(detail, 1e-9) / max(float(luma.var()), 1e-6)))


def exposure(luma: np.ndarray) -> float:
    """Well-exposedness (Mertens et al. 2007): mean of exp(-(L-0.5)²/(2·0.2²)); 1 = all mid-tones,
    near 0 when most pixels are crushed to black or clipped to white."""
    return float(np.exp(-((luma - 0.5) ** 2) / (2 * 0.2**2)).mean())


#: rg = R - G and yb = (R + G)/2 - B as rows of one matrix
_OPPONENT = np.array([[1.0, -1.0, 0.0], [0.5, 0.5, -1.0]])


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness of an RGB array (uint8, or 0-1): σ_rgyb + 0.3·μ_rgyb with
    rg=R-G, yb=(R+G)/2-B, on the 0-1 scale.

    Every other pixel is enough for image-wide statistics.
    """
    # each plane's mean and σ in one pass, in double
    stats = [filters.opencv().meanStdDev(plane) for plane in filters.mix_planes(filters.every_other(rgb), _OPPONENT)]
    (rg_mean, rg_std), (yb_mean, yb_std) = ((float(m[0, 0]), float(d[0, 0])) for m, d in stats)
    return float(np.hypot(rg_std, yb_std) + 0.3 * np.hypot(rg_mean, yb_mean))


def clipping(rgb: np.ndarray) -> tuple[float, float]:
    """(highlights, shadows): the share of pixels with a channel blown to ≥ 250/255, and of pixels
    crushed to luma ≤ 5/255. Well-exposedness alone cannot tell a dark scene's correct exposure from
    an overexposed frame of it; clipped detail is what overexposure really costs."""
    # np.maximum over the three planes is ~20x faster than a max-reduction over a length-3 axis.
    brightest = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    highlights = float((brightest >= 250 / 255).mean())
    shadows = float((brightest <= 5 / 255).mean())
    return highlights, shadows


def _clipping8(rgb8: np.ndarray) -> tuple[float, float]:
    """clipping() of the same pixels as uint8 (rgb = rgb8 / 255): the same two shares, from integer
    thresholds and counts instead of float planes."""
    brightest = np.maximum(np.maximum(rgb8[..., 0], rgb8[..., 1]), rgb8[..., 2])
    return (
        np.count_nonzero(brightest >= _HIGHLIGHT8) / brightest.size,
        np.count_nonzero(brightest <= _SHADOW8) / brightest.size,
    )


#: 18% grey in linear light: the reflectance a light meter exposes for, so brightness 0 EV is "metered".
_MID_GREY = 0.18


def _linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB (0-1) to linear light."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def brightness_of(linear: np.ndarray) -> float:
    """Mean luminance of linear-light RGB pixels in EV relative to mid-grey: +1 is one stop brighter, as a
    camera's exposure compensation would make it (until highlights clip). On its own it says as much
    about the scene (snow, night) as about the exposure; against the other frames of its burst it shows
    which frame was exposed differently."""
    mean = float((linear @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)).mean())
    return float(np.log2(max(mean, 1e-4) / _MID_GREY))


#: Every uint8 level as the float32 value it reads as (level / 255), and what the float thresholds and the
#: sRGB curve make of it: lets _analyse read clipping and brightness from the uint8 pixels (a table
#: look-up instead of a power per pixel) with the very same numbers.
_LEVELS = np.arange(256, dtype=np.float32) / 255.0
LINEAR8 = _linear(_LEVELS)
_HIGHLIGHT8 = int(np.argmax(_LEVELS >= 250 / 255))
_SHADOW8 = int(np.nonzero(_LEVELS <= 5 / 255)[0][-1])


def contrast(luma: np.ndarray) -> float:
    """RMS contrast: the standard deviation of luma (0-0.5)."""
    return float(luma.std())


#: The tile focus map and noise are read at up to this long side: near-native for phone photos and
#: screen-size exports, and 2-3x finer than ANALYSIS_SIZE on camera files, where missed focus and grain
#: that vanish at 512 px still show (what a photographer sees zooming in).
DETAIL_SIZE = 1024

#: per live image: its named signals, the 36 NSS numbers, the ANALYSIS_SIZE uint8 RGB and luma they came
#: from, and the luma's local σ fields at full and half size (BRISQUE's MSCN denominators)
_Analysis = tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]
_analysis_cache: dict[int, _Analysis] = {}


def _analyse(image: Image.Image) -> _Analysis:
    """Every signal of one decoded image, computed once while the image object lives:
    the global ones at ANALYSIS_SIZE, the focus map and noise at DETAIL_SIZE, the 36 NSS numbers."""
    from ranker.features.detail import detail_signals
    from ranker.features.nss import brisque_with_sigma

    key = id(image)
    if key in _analysis_cache:
        return _analysis_cache[key]
    pixels = rgb8_of(image)  # once: the 512-px plane and the detail map both start from it
    rgb8 = reduced_rgb8(pixels)
    luma = luminance(rgb8)
    flat = flat_mask(luma)
    response = noise_response(luma, step=2)  # both readers use only the half-resolution grid
    highlights, shadows = _clipping8(rgb8)
    signals = {
        "sharpness": sharpness(luma, response),
        "exposure": exposure(luma),
        "colorfulness": colorfulness(rgb8),
        "contrast": contrast(luma),
        "noise": noise_sigma(luma, flat, response),
        "highlights": highlights,
        "shadows": shadows,
        "brightness": brightness_of(LINEAR8[rgb8[::2, ::2]]),
    }
    # Near-native detail: decode-size pixels when the image is no larger than DETAIL_SIZE (no copy).
    signals.update(detail_signals(reduced_rgb8(pixels, DETAIL_SIZE) if max(image.size) > ANALYSIS_SIZE else rgb8))
    nss, sigma = brisque_with_sigma(luma)
    result = (signals, nss, rgb8, luma, sigma)
    _analysis_cache[key] = result
    weakref.finalize(image, _analysis_cache.pop, key, None)
    return result


def quality_signals(image: Image.Image) -> dict[str, float]:
    """Every hand-crafted signal by name, for the model's input and for explaining a rank to the user.

    The extractors run on the same decoded image in one batch; the result is kept while the image
    object lives so the filters run once per photo, not once per extractor.
    """
    return _analyse(image)[0]


def nss_vector(image: Image.Image) -> np.ndarray:
    """The 36 BRISQUE natural-scene statistics of the image at ANALYSIS_SIZE (ranker.features.nss)."""
    return _analyse(image)[1]


def analysis_planes(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The image at ANALYSIS_SIZE as uint8 RGB and its 0-1 luma: the pixels every signal above reads,
    reduced once per photo for all the extractors that read them (ranker.features.scene_stats)."""
    analysis = _analyse(image)
    return analysis[2], analysis[3]


def analysis_rgb8(image: Image.Image) -> np.ndarray:
    """analysis_planes' uint8 RGB alone, for readers that need no signal (the face detector's letterbox,
    the grouping descriptor): the plane already made when the signals were computed, else the same
    reduction made now, so the values never depend on which ran first."""
    analysis = _analysis_cache.get(id(image))
    return analysis[2] if analysis is not None else reduced_rgb8(image)


def analysis_sigma(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The local σ fields of analysis_planes' luma at full and half size, which BRISQUE computes anyway
    (ranker.features.sigma_map reads them instead of filtering the luma again)."""
    return _analyse(image)[4]


class _SignalsExtractor(FeatureExtractor):
    """Some of quality_signals' values, in `fields` order: the filters run once per photo for all three."""

    fields: tuple[str, ...]
    decode_size = ANALYSIS_SIZE
    per_photo = True

    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        rows = [[quality_signals(image)[key] for key in self.fields] for image in images]
        return np.asarray(rows, dtype=np.float32).reshape(len(images), self.dim)


class IqaExtractor(_SignalsExtractor):
    """The seed's 4 quality features: [sharpness, exposure, colorfulness, contrast]."""

    name = "iqa"
    dim = 4
    version = "4"
    fields = ("sharpness", "exposure", "colorfulness", "contrast")


class NoiseExtractor(_SignalsExtractor):
    """Estimated sensor noise σ, so a grainy frame ranks below a clean one of the same scene."""

    name = "noise"
    dim = 1
    version = "2"
    fields = ("noise",)


class ClippingExtractor(_SignalsExtractor):
    """Blown highlights and crushed shadows (shares of pixels): what an exposure error destroys."""

    name = "clipping"
    dim = 2
    version = "1"
    fields = ("highlights", "shadows")


class ExposureProfileExtractor(_SignalsExtractor):
    """How a frame is exposed: [brightness (EV), well-exposedness, blown highlights, crushed shadows].
    Models use it relative to the frame's burst (MultiFeatureConfig.burst_context): a frame exposed
    unlike the rest of its burst is the one the camera or the photographer got wrong."""

    name = "exposure_profile"
    dim = 4
    version = "1"
    fields = ("brightness", "exposure", "highlights", "shadows")


class DetailExtractor(_SignalsExtractor):
    """Near-native detail: [focus-map peak, median and spread, luma noise, chroma noise, JPEG blocking]
    (ranker.features.detail). The peak is the in-focus subject; noise is read where the frame is flat."""

    name = "detail"
    dim = 6
    version = "1"
    decode_size = DETAIL_SIZE
    fields = ("focus_peak", "focus_median", "focus_spread", "luma_noise", "chroma_noise", "blocking")


class NssExtractor(FeatureExtractor):
    """BRISQUE's 36 natural-scene statistics (MSCN shape and spread at two scales, ranker.features.nss):
    blur, noise and compression each bend them away from what natural photographs show."""

    name = "nss"
    dim = 36
    version = "1"
    decode_size = ANALYSIS_SIZE
    per_photo = True

    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.asarray([nss_vector(image) for image in images], dtype=np.float32).reshape(len(images), self.dim)
