"""The hand-crafted signals written plainly, as before the speed work (commit dde1e61), kept as the reference.

The shipped default is trained on these numbers, so every faster implementation in ranker.features
must reproduce them; test_signal_reference.py compares the two on real and camera-like photos. Keep
this file as it is: it is the reference, not code to maintain. One change since: the 512-px reduction
averages areas (OpenCV's INTER_AREA) instead of Pillow's bilinear filter, from the default rebuilt with
the OpenCV filters on (2026-12-02); and a long side that is a whole multiple of 512 is reduced by that
whole factor (else halved while at least twice 512), its odd last row or column dropped, and the
half-resolution chroma and colourfulness read the whole pixel pairs only (the default rebuilt with
both, the same evening).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image
from scipy.special import gamma as gamma_fn

#: Features are measured at this long side: large enough to see missed focus and shake at
#: screen size, small enough that JPEG draft decoding plus every filter stays a few milliseconds.
ANALYSIS_SIZE = 512


def reduced_rgb(image: Image.Image, size: int = ANALYSIS_SIZE) -> np.ndarray:
    """RGB in [0, 1], float32, of the image reduced so its long side is at most `size`."""
    rgb = np.asarray(image.convert("RGB"))
    height, width = rgb.shape[:2]
    if max(width, height) > size:
        import cv2

        while max(width, height) > size:  # whole factors exactly (halving when none fits), then the rest
            factor, rest = divmod(max(width, height), size)
            factor = min(factor, 2) if rest else factor
            if factor == 1 or min(width, height) < factor:
                scale = size / max(width, height)
                target = (max(1, round(width * scale)), max(1, round(height * scale)))
            else:
                target = (width // factor, height // factor)
                rgb = rgb[: target[1] * factor, : target[0] * factor]
            rgb = cv2.resize(rgb, target, interpolation=cv2.INTER_AREA)
            height, width = rgb.shape[:2]
    return rgb.astype(np.float32) / 255.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of a 0-1 RGB array."""
    return rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def _smooth(a: np.ndarray) -> np.ndarray:
    """Binomial [1 4 6 4 1]/16 blur in both directions (≈ Gaussian σ=1 px), edges reflected.
    Written as shifted sums: 4x faster than a general Gaussian filter at this size."""
    p = np.pad(a, 2, mode="reflect")
    h = (p[:, :-4] + p[:, 4:] + 4 * (p[:, 1:-3] + p[:, 3:-1]) + 6 * p[:, 2:-2]) * (1 / 16)
    return (h[:-4] + h[4:] + 4 * (h[1:-3] + h[3:-1]) + 6 * h[2:-2]) * (1 / 16)


def _laplacian(a: np.ndarray) -> np.ndarray:
    """The 4-neighbour discrete Laplacian, edges reflected."""
    p = np.pad(a, 1, mode="reflect")
    return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * a


def flat_mask(luma: np.ndarray) -> np.ndarray:
    """The flattest half of the image, on the half-resolution grid (luma[::2, ::2]) where noise barely
    registers. Choosing flat pixels from a noise-free view matters: picking them by their noisy
    values would select the pixels where the noise happens to be small."""
    from scipy import ndimage  # ~0.3 s to import: a cached re-rank never computes a feature

    coarse = ndimage.gaussian_gradient_magnitude(luma[::2, ::2], 1.5)
    return coarse <= np.median(coarse)


def noise_response(luma: np.ndarray) -> np.ndarray:
    """Per-pixel |Immerkær mask response|, scaled so its mean over a flat region estimates noise σ.
    The mask is the outer product of [1 -2 1] with itself: two second differences."""
    p = np.pad(luma, 1, mode="reflect")
    across = p[:, :-2] - 2 * p[:, 1:-1] + p[:, 2:]
    return np.abs(across[:-2] - 2 * across[1:-1] + across[2:]) * (np.sqrt(np.pi / 2.0) / 6.0)


def noise_sigma(luma: np.ndarray, flat: np.ndarray | None = None, response: np.ndarray | None = None) -> float:
    """Sensor noise σ (0-1 scale), Immerkær (1996), measured on the flat half of the image
    so that fine texture is not counted as noise."""
    if min(luma.shape) < 4:
        return 0.0
    flat = flat_mask(luma) if flat is None else flat
    response = noise_response(luma) if response is None else response
    return float(response[::2, ::2][flat].mean())


@lru_cache(maxsize=1)
def _smoothed_laplacian_gain() -> float:
    """Σh² of the Gaussian-then-Laplacian filter: white noise of variance σ² leaves σ²·Σh² in its output."""
    impulse = np.zeros((31, 31), dtype=np.float64)
    impulse[15, 15] = 1.0
    return float((_laplacian(_smooth(impulse)) ** 2).sum())


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
    response = noise_response(luma) if response is None else response
    # Both are averaged over the half-resolution grid: a quarter of the pixels is plenty for an
    # image-wide mean, and the local noise level is smoothed there anyway.
    from scipy import ndimage

    local = ndimage.gaussian_filter(response[::2, ::2], 1.5)
    energy = _laplacian(_smooth(luma))[::2, ::2] ** 2
    detail = float(np.maximum(energy - _NOISE_SAFETY * _smoothed_laplacian_gain() * local**2, 0.0).mean())
    return float(np.log10(max(detail, 1e-9) / max(float(luma.var()), 1e-6)))


def exposure(luma: np.ndarray) -> float:
    """Well-exposedness (Mertens et al. 2007): mean of exp(-(L-0.5)²/(2·0.2²)); 1 = all mid-tones,
    near 0 when most pixels are crushed to black or clipped to white."""
    return float(np.exp(-((luma - 0.5) ** 2) / (2 * 0.2**2)).mean())


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness on 0-1 RGB: σ_rgyb + 0.3·μ_rgyb with rg=R-G, yb=(R+G)/2-B.

    Every other pixel is enough for image-wide statistics.
    """
    rgb = rgb[: rgb.shape[0] // 2 * 2 : 2, : rgb.shape[1] // 2 * 2 : 2]
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def clipping(rgb: np.ndarray) -> tuple[float, float]:
    """(highlights, shadows): the share of pixels with a channel blown to ≥ 250/255, and of pixels
    crushed to luma ≤ 5/255. Well-exposedness alone cannot tell a dark scene's correct exposure from
    an overexposed frame of it; clipped detail is what overexposure really costs."""
    # np.maximum over the three planes is ~20x faster than a max-reduction over a length-3 axis.
    brightest = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    highlights = float((brightest >= 250 / 255).mean())
    shadows = float((brightest <= 5 / 255).mean())
    return highlights, shadows


#: 18% grey in linear light: the reflectance a light meter exposes for, so brightness 0 EV is "metered".
_MID_GREY = 0.18


def brightness(rgb: np.ndarray) -> float:
    """Mean linear-light luminance in EV relative to mid-grey: +1 is one stop brighter, as a camera's
    exposure compensation would make it (until highlights clip). Every other pixel is enough.
    On its own it says as much about the scene (snow, night) as about the exposure; against the
    other frames of its burst it shows which frame was exposed differently."""
    srgb = rgb[::2, ::2]
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    mean = float((linear @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)).mean())
    return float(np.log2(max(mean, 1e-4) / _MID_GREY))


def contrast(luma: np.ndarray) -> float:
    """RMS contrast: the standard deviation of luma (0-0.5)."""
    return float(luma.std())


#: The tile focus map and noise are read at up to this long side: near-native for phone photos and
#: screen-size exports, and 2-3x finer than ANALYSIS_SIZE on camera files, where missed focus and grain
#: that vanish at 512 px still show (what a photographer sees zooming in).
DETAIL_SIZE = 1024


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
    """Mean of each full tile×tile block (a ragged border is dropped)."""
    h, w = (values.shape[0] // tile) * tile, (values.shape[1] // tile) * tile
    if h == 0 or w == 0:
        return np.asarray([float(values.mean())])
    return values[:h, :w].reshape(h // tile, tile, w // tile, tile).mean(axis=(1, 3)).ravel()


def ycbcr(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.601 luma and the two colour-difference planes of a 0-1 RGB array (JPEG's own colour space)."""
    y = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # one pass over the pixels, not five
    return y, 0.564 * (rgb[..., 2] - y), 0.713 * (rgb[..., 0] - y)


def flat_noise(plane: np.ndarray) -> float:
    """Noise σ (0-1 scale) of one plane: Immerkær's estimator averaged per tile, read on the flattest tiles."""
    if min(plane.shape) < 8:
        return 0.0
    return float(np.percentile(_tile_means(noise_response(plane)), NOISE_PERCENTILE))


def focus_map(luma: np.ndarray, noise: float) -> np.ndarray:
    """log10 detail energy per tile: Laplacian energy of the lightly smoothed luma minus what noise of
    σ=`noise` puts there, relative to the image's luma variance (exposure-robust, as iqa.sharpness)."""
    energy = _laplacian(_smooth(luma)) ** 2
    # 4x the white-noise prediction: real (correlated) noise leaves more than the white prediction.
    floor = 4.0 * _smoothed_laplacian_gain() * noise**2
    detail = np.maximum(_tile_means(energy) - floor, 1e-9)
    return np.log10(detail / max(float(luma.var()), 1e-6))


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
    y = ycbcr(rgb)[0]
    # Chroma at half resolution: JPEG stores it 4:2:0, so that is its native grid (and 4x cheaper).
    _, cb, cr = ycbcr(rgb[: rgb.shape[0] // 2 * 2 : 2, : rgb.shape[1] // 2 * 2 : 2])
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


#: Neighbour offsets whose MSCN products BRISQUE models: horizontal, vertical, main and anti-diagonal.
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


#: Stabiliser for the local normalisation (1/255: BRISQUE's C=1 on 0-255 luma).
_C = 1.0 / 255.0


@lru_cache(maxsize=1)
def _shape_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate shape parameters and the moment ratios they imply, for moment-matching fits."""
    shapes = np.arange(0.2, 10.0, 0.001)
    ggd_ratio = gamma_fn(1 / shapes) * gamma_fn(3 / shapes) / gamma_fn(2 / shapes) ** 2
    aggd_ratio = gamma_fn(2 / shapes) ** 2 / (gamma_fn(1 / shapes) * gamma_fn(3 / shapes))
    return shapes, ggd_ratio, aggd_ratio


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    """BRISQUE's 7-tap Gaussian window, σ = 7/6."""
    taps = np.exp(-0.5 * (np.arange(-3, 4) / (7 / 6)) ** 2)
    return (taps / taps.sum()).astype(np.float32)


def _blur(a: np.ndarray) -> np.ndarray:
    """The separable 7-tap window as shifted sums over a reflected border (3x faster than a generic filter)."""
    k = _window()
    p = np.pad(a, 3, mode="reflect")
    w = a.shape[1]
    rows = sum(k[i] * p[:, i : i + w] for i in range(7))
    h = a.shape[0]
    return sum(k[i] * rows[i : i + h] for i in range(7))


def mscn(luma: np.ndarray) -> np.ndarray:
    """Mean-subtracted contrast-normalised coefficients: (I - μ) / (σ + C), Gaussian window σ=7/6."""
    luma = luma.astype(np.float32, copy=False)
    mu = _blur(luma)
    var = _blur(luma * luma) - mu * mu
    return (luma - mu) / (np.sqrt(np.abs(var)) + _C)


def fit_ggd(x: np.ndarray) -> tuple[float, float]:
    """(shape α, variance) of a zero-mean generalised Gaussian, by moment matching."""
    shapes, ratio, _ = _shape_table()
    variance = float(np.mean(x * x))
    mean_abs = float(np.mean(np.abs(x)))
    rho = variance / max(mean_abs * mean_abs, 1e-12)
    return float(shapes[np.argmin(np.abs(ratio - rho))]), variance


def fit_aggd(x: np.ndarray) -> tuple[float, float, float, float]:
    """(shape, mean, left variance, right variance) of an asymmetric generalised Gaussian."""
    shapes, _, ratio = _shape_table()
    square = x * x
    negative = x < 0
    count_left, count_right = int(negative.sum()), int((x > 0).sum())
    sum_left = float(square[negative].sum())
    left_sigma = float(np.sqrt(sum_left / count_left)) if count_left else 1e-6
    right_sigma = float(np.sqrt((float(square.sum()) - sum_left) / count_right)) if count_right else 1e-6
    g = left_sigma / max(right_sigma, 1e-6)
    r_hat = float(np.mean(np.abs(x))) ** 2 / max(float(np.mean(square)), 1e-12)
    r_norm = r_hat * (g**3 + 1) * (g + 1) / (g * g + 1) ** 2
    shape = float(shapes[np.argmin(np.abs(ratio - r_norm))])
    mean = (
        (right_sigma - left_sigma)
        * gamma_fn(2 / shape)
        / gamma_fn(1 / shape)
        * np.sqrt(gamma_fn(1 / shape) / gamma_fn(3 / shape))
    )
    return shape, float(mean), left_sigma**2, right_sigma**2


def _scale_features(luma: np.ndarray, stride: int) -> list[float]:
    """GGD of the MSCN field and AGGD of its four neighbour products; the products are sampled every
    `stride` pixels (their histograms are image-wide statistics: a quarter of the pixels gives the same fit)."""
    coefficients = mscn(luma)
    out = list(fit_ggd(coefficients))
    h, w = coefficients.shape
    for dy, dx in _SHIFTS:
        if dx >= 0:
            a, b = coefficients[: h - dy, : w - dx], coefficients[dy:, dx:]
        else:
            a, b = coefficients[: h - dy, -dx:], coefficients[dy:, : w + dx]
        out.extend(fit_aggd((a[::stride, ::stride] * b[::stride, ::stride]).ravel()))
    return out


def brisque_features(luma: np.ndarray) -> np.ndarray:
    """The 36 BRISQUE numbers of a 0-1 luma image: 18 at full size, 18 at half size (2×2 mean)."""
    if min(luma.shape) < 16:
        return np.zeros(36, dtype=np.float32)
    h, w = (luma.shape[0] // 2) * 2, (luma.shape[1] // 2) * 2
    half = luma[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return np.asarray(_scale_features(luma, 2) + _scale_features(half, 1), dtype=np.float32)


#: Sharpness is measured on the face resampled to this width, so a face that fills the frame and one a
#: fifth of its size are judged at the same scale (and a big face is not "sharper" for having more pixels).
FACE_NORM = 96


#: Eyes narrower than this (pixels in the analysed image) give the iris model too little to see a lid.
MIN_EYE_WIDTH = 6.0


def _resample(luma: np.ndarray, box: tuple[float, float, float, float], width: int, height: int) -> np.ndarray:
    """The box (pixels) of a luma plane at a fixed size; boxes are clipped to the image."""
    h, w = luma.shape
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((height, width), dtype=np.float32)
    crop = Image.fromarray(luma[y0:y1, x0:x1])
    return np.asarray(crop.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def local_sharpness(patch: np.ndarray) -> float:
    """log10 of the Laplacian energy of the lightly pre-blurred patch over its contrast (luma variance).

    The pre-blur (σ≈1 px) keeps JPEG blocking and sensor grain from counting as detail; dividing by
    the patch's own variance makes a dim face and a bright one comparable, so what is measured is how
    much of the face's contrast sits in fine detail (lashes, pores, hair), which is what defocus and
    motion take away."""
    if patch.size == 0 or float(patch.var()) < 1e-6:
        return -9.0
    energy = float((_laplacian(_smooth(patch))[2:-2, 2:-2] ** 2).mean())
    return float(np.log10(max(energy, 1e-9) / float(patch.var())))


def _eyes_box(face, pad: float = 0.35) -> tuple[float, float, float, float]:
    points = np.concatenate([face.left_eye.lower, face.left_eye.upper, face.right_eye.lower, face.right_eye.upper])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    mx, my = (x1 - x0) * pad, max((y1 - y0), (x1 - x0) * 0.15) * (1 + pad)
    return float(x0 - mx), float(y0 - my), float(x1 + mx), float(y1 + my)


def _readable(eye, luma: np.ndarray, face_level: float) -> bool:
    """Eyes whose lids can be judged: wide enough, and not behind dark glasses (an eye region far
    darker than the face and almost flat is a lens, where the iris model's lids mean nothing)."""
    if eye is None or eye.width < MIN_EYE_WIDTH:
        return False
    points = np.concatenate([eye.lower, eye.upper])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    patch = _resample(luma, (x0, y0 - 0.2 * (x1 - x0), x1, y1 + 0.2 * (x1 - x0)), 24, 12)
    return not (float(patch.mean()) < 0.45 * face_level and float(patch.std()) < 0.05)


def signals(image: Image.Image) -> tuple[dict[str, float], np.ndarray]:
    """iqa._analyse before the speed work: every named signal and the 36 NSS numbers."""
    rgb = reduced_rgb(image)
    luma = luminance(rgb)
    flat = flat_mask(luma)
    response = noise_response(luma)
    highlights, shadows = clipping(rgb)
    found = {
        "sharpness": sharpness(luma, response),
        "exposure": exposure(luma),
        "colorfulness": colorfulness(rgb),
        "contrast": contrast(luma),
        "noise": noise_sigma(luma, flat, response),
        "highlights": highlights,
        "shadows": shadows,
        "brightness": brightness(rgb),
    }
    found.update(detail_signals(reduced_rgb(image, DETAIL_SIZE) if max(image.size) > ANALYSIS_SIZE else rgb))
    return found, brisque_features(luma)


def face_rows(image: Image.Image) -> list[list[float]]:
    """faces.analyse before the speed work, as each face's stored row (faces.FIELDS order)."""
    from ranker.features.face_landmarks import detect_faces

    found = detect_faces(image)
    if not found:
        return []
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    luma = luminance(rgb).astype(np.float32)
    w, h = image.size
    rows = []
    for face in found:
        x0, y0, x1, y1 = face.box
        face_luma = _resample(luma, face.box, FACE_NORM, max(8, round(FACE_NORM * (y1 - y0) / max(x1 - x0, 1e-6))))
        level = float(np.median(face_luma))
        left_ok = _readable(face.left_eye, luma, level)
        right_ok = _readable(face.right_eye, luma, level)
        valid = face.mesh is not None and left_ok and right_ok
        eye_sharp = -9.0
        if face.left_eye is not None and face.right_eye is not None:
            eye_sharp = local_sharpness(_resample(luma, _eyes_box(face), FACE_NORM, FACE_NORM // 3))
        crop = rgb[max(0, int(y0)) : max(1, int(np.ceil(y1))), max(0, int(x0)) : max(1, int(np.ceil(x1)))]
        rows.append(
            [
                x0 / w,
                y0 / h,
                x1 / w,
                y1 / h,
                face.score,
                face.left_eye.aspect_ratio if left_ok else 0.0,
                face.right_eye.aspect_ratio if right_ok else 0.0,
                float(valid),
                local_sharpness(face_luma),
                eye_sharp,
                brightness(crop) if crop.size else 0.0,
                exposure(luminance(crop)) if crop.size else 0.0,
            ]
        )
    return rows
