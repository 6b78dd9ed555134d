"""Synthetic bursts with realistic defects (shake, defocus, high-ISO noise, exposure errors, handheld shifts),
built from licence-clean photos: the default checkpoint's training data, the demo shoot and the benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

import numpy as np
from PIL import Image

#: scikit-image photographs that ship inside its wheel (everything else in skimage.data downloads).
SKIMAGE_PHOTOS = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle_left",
    "motorcycle_right",
    "hubble_deep_field",
    "moon",
    "coins",
    "clock",
)


def skimage_photo(name: str) -> Image.Image:
    from skimage import data

    if name.startswith("motorcycle_"):  # a stereo pair: two real views of one scene
        # scikit-image leaves stereo_motorcycle unannotated (its siblings are typed)
        array = data.stereo_motorcycle()[0 if name.endswith("left") else 1]  # type: ignore[no-untyped-call]
    else:
        array = getattr(data, name)()
    return Image.fromarray(array).convert("RGB")


def training_photos_dir() -> Path:
    from ranker.paths import resources_dir

    return resources_dir() / "training_photos"


@dataclass(frozen=True)
class Defect:
    #: "clean" | "shake" | "defocus" | "subject" | "noise" | "jpeg" | "under" | "over" | "tone" | "wb" | "flare",
    #: or two of them joined by "+" (a combined defect: both applied, strength of the first)
    kind: str
    #: pixels of blur at 1024 px, noise σ (0-1), JPEG (100 - quality) / 100, EV, tone-curve gamma
    #: offset, white-balance shift in mireds / 100, or veiling-glare share — larger is always worse
    strength: float


#: Defect strengths by difficulty. "clear": what any culler must catch; "subtle": slight shake,
#: mild noise, half-stop exposure errors — where pixel-peeping photographers still see the difference.
#: The benchmark's own generator (benchmarks/degrade.py) is written independently of these.
LEVELS = {
    "clear": {
        "shake": (6.0, 12.0),
        "defocus": (2.5, 4.0),
        "noise": (0.05, 0.09),
        "under": (1.3, 2.0),
        "over": (1.0, 1.6),
    },
    "subtle": {
        "shake": (2.0, 3.5),
        "defocus": (1.0, 1.6),
        "noise": (0.02, 0.035),
        "under": (0.5, 0.7),
        "over": (0.4, 0.6),
    },
}
#: The default checkpoint's training mix: every defect model, strengths drawn from wide ranges
#: (the low ends are subtler than LEVELS["subtle"]), combined defects included.
TRAINING_LEVELS = {
    "shake": (1.5, 14.0),
    "defocus": (0.8, 5.0),
    "subject": (4.0, 18.0),
    "noise": (0.012, 0.1),
    "jpeg": (0.6, 0.95),
    "under": (0.4, 2.2),
    "over": (0.3, 1.8),
    "tone": (0.15, 0.6),
    "wb": (0.6, 2.5),
    "flare": (0.1, 0.5),
}
#: Reference long side for blur strengths: a 6-px shake at 1024 px is a 3-px shake at 512 px.
_BLUR_REFERENCE = 1024


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


#: 8-bit sRGB → linear, and linear (16-bit steps) → sRGB, as tables: the transfer curves cost more
#: than the degradations themselves when computed per pixel.
_LINEAR_OF_8BIT = _to_linear(np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)
_SRGB_OF_16BIT = _to_srgb(np.arange(65536, dtype=np.float64) / 65535.0).astype(np.float32)


def _linear_of(image: Image.Image) -> np.ndarray:
    # numpy types fancy indexing Any: the float32 table per pixel
    return cast(np.ndarray, _LINEAR_OF_8BIT[np.asarray(image.convert("RGB"))])


def _srgb8_of(linear: np.ndarray) -> np.ndarray:
    index = (np.clip(linear, 0.0, 1.0) * 65535 + 0.5).astype(np.uint16)
    # numpy types fancy indexing Any: uint8 pixels
    return cast(np.ndarray, (_SRGB_OF_16BIT[index] * 255 + 0.5).astype(np.uint8))


def _motion_kernel(length: float, angle: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), dtype=np.float32)
    centre = size // 2
    for t in np.linspace(-length / 2, length / 2, num=max(2, int(length * 3))):
        x, y = centre + t * np.cos(angle), centre + t * np.sin(angle)
        kernel[int(round(y)) % size, int(round(x)) % size] += 1.0
    # numpy types .sum() Any: the float32 kernel over its sum
    return cast(np.ndarray, kernel / kernel.sum())


def shake_kernel(length: float, rng: np.random.Generator) -> np.ndarray:
    """A hand-shake point-spread function: a random walk with inertia (Boracchi & Foi's model, simplified)
    whose path spans about `length` pixels, rasterised with bilinear weights."""
    steps = max(8, int(length * 6))
    velocity = rng.normal(0, 1, 2)
    points = [np.zeros(2)]
    for _ in range(steps):
        velocity = 0.8 * velocity + rng.normal(0, 0.6, 2)
        points.append(points[-1] + velocity)
    path = np.asarray(points)
    path -= path.mean(axis=0)
    extent = max(float(np.ptp(path, axis=0).max()), 1e-6)
    path *= length / extent
    radius = int(np.ceil(np.abs(path).max())) + 1
    kernel = np.zeros((2 * radius + 1, 2 * radius + 1), dtype=np.float32)
    for x, y in path + radius:
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    # numpy types .sum() Any: the float32 kernel over its sum
    return cast(np.ndarray, kernel / kernel.sum())


def _disk_kernel(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    kernel = (x * x + y * y <= radius * radius).astype(np.float32)
    # numpy types .sum() Any: the float32 kernel over its sum
    return cast(np.ndarray, kernel / kernel.sum())


def _convolve(linear: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from scipy.signal import fftconvolve

    pad = max(kernel.shape) // 2 + 1
    padded = np.pad(linear, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    # scipy ships no types: fftconvolve returns the convolved array
    out: np.ndarray = fftconvolve(padded, kernel[..., None].astype(np.float32), mode="same", axes=(0, 1))
    return out[pad:-pad, pad:-pad].astype(np.float32)


def _subject_mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A soft ellipse covering 10-35% of the frame: the part of the scene that moved."""
    h, w = shape
    cy, cx = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w
    ry, rx = rng.uniform(0.18, 0.35) * h, rng.uniform(0.15, 0.35) * w
    y, x = np.mgrid[0:h, 0:w]
    d = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2
    # numpy types np.clip Any: the float32 mask
    return cast(np.ndarray, np.clip(1.5 - d, 0.0, 1.0)[..., None].astype(np.float32))


def _sensor_noise(linear: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson-Gaussian noise (shot noise grows with the signal, read noise does not), partly correlated
    across channels and partly not (chroma noise), then the camera's noise reduction at a random strength:
    smoothing that removes some of the grain and, with it, some fine detail."""
    shot = np.float32(sigma) * np.sqrt(np.clip(linear, 0, 1) + np.float32(0.02))
    read = np.float32(sigma * 0.35)
    chroma = np.float32(rng.uniform(0.4, 1.0))
    luma_noise = rng.standard_normal(linear.shape[:2] + (1,), dtype=np.float32)
    colour_noise = rng.standard_normal(linear.shape, dtype=np.float32)
    noisy = linear + (shot + read) * (0.7 * luma_noise + chroma * 0.7 * colour_noise)
    reduction = rng.uniform(0.0, 1.0)
    if reduction > 0.3:
        from scipy import ndimage

        smoothed = ndimage.gaussian_filter(noisy, (0.5 + reduction, 0.5 + reduction, 0), truncate=3.0)
        noisy = np.float32(1 - 0.6 * reduction) * noisy + np.float32(0.6 * reduction) * smoothed
    # numpy types np.sqrt Any: noisy linear light shaped like `linear`
    return cast(np.ndarray, noisy)


def _jpeg(rgb8: np.ndarray, badness: float) -> np.ndarray:
    import io

    buffer = io.BytesIO()
    Image.fromarray(rgb8).save(buffer, "JPEG", quality=max(2, int(round(100 * (1 - badness)))))
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def _apply_linear(linear: np.ndarray, kind: str, strength: float, rng: np.random.Generator) -> np.ndarray:
    # numpy types the results below Any (dtype-Any operands); each is linear light shaped like `linear`
    scale = max(linear.shape[:2]) / _BLUR_REFERENCE
    if kind == "shake":
        return _convolve(linear, shake_kernel(max(1.0, strength * scale), rng))
    if kind == "defocus":
        return _convolve(linear, _disk_kernel(max(0.6, strength * scale)))
    if kind == "subject":
        blurred = _convolve(linear, _motion_kernel(max(2.0, strength * scale), rng.uniform(0, np.pi)))
        mask = _subject_mask(linear.shape[:2], rng)
        return cast(np.ndarray, mask * blurred + (1 - mask) * linear)
    if kind in ("under", "over"):
        return cast(np.ndarray, linear * 2.0 ** (strength if kind == "over" else -strength))
    if kind == "noise":
        return _sensor_noise(linear, strength, rng)
    if kind == "tone":  # a wrong tone curve: washed out (gamma up) or crushed (gamma down)
        gamma = 1.0 + strength if rng.random() < 0.5 else 1.0 / (1.0 + strength)
        return cast(np.ndarray, np.clip(linear, 0, 1) ** gamma)
    if kind == "flare":  # veiling glare: stray light adds a haze over the frame and flattens its contrast
        veil = np.float32(strength) * linear.mean(axis=(0, 1), keepdims=True) * np.float32(1.5)
        return cast(np.ndarray, linear * np.float32(1 - 0.5 * strength) + veil)
    if kind == "wb":  # a white-balance error along the warm/cool axis, plus some tint
        warm = strength * (1 if rng.random() < 0.5 else -1) * 0.12
        tint = rng.uniform(-0.4, 0.4) * strength * 0.06
        gains = np.exp(np.array([warm, tint, -warm], dtype=np.float32))
        return cast(np.ndarray, linear * (gains / gains.mean()))
    raise ValueError(f"unknown defect {kind!r}")


def apply_defect(image: Image.Image, defect: Defect, rng: np.random.Generator) -> Image.Image:
    """Degrade in linear light where physics happens (blur, exposure, photon noise), then back to sRGB;
    JPEG compression runs last, on the 8-bit result, as in a camera."""
    if defect.kind == "clean":
        return image.copy()
    kinds = defect.kind.split("+")
    strengths = [defect.strength] + [float(rng.uniform(*TRAINING_LEVELS[k])) * 0.6 for k in kinds[1:]]
    linear = _linear_of(image)
    jpeg = None
    for kind, strength in zip(kinds, strengths):
        if kind == "jpeg":
            jpeg = strength
        else:
            linear = _apply_linear(linear, kind, strength, rng)
    rgb8 = _srgb8_of(linear)
    if jpeg is not None:
        rgb8 = _jpeg(rgb8, jpeg)
    return Image.fromarray(rgb8)


def handheld_frame(image: Image.Image, rng: np.random.Generator, size: int, max_shift: int = 6) -> Image.Image:
    """A crop as a handheld camera would frame it a moment later: a few pixels' shift, a hair of rotation."""
    angle = rng.uniform(-0.6, 0.6)
    rotated = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
    w, h = rotated.size
    scale = size / max(w, h) * 1.08  # margin so the shifted crop stays inside the picture
    resized = rotated.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    rw, rh = resized.size
    cw, ch = round(w * size / max(w, h)), round(h * size / max(w, h))
    left = (rw - cw) // 2 + int(rng.integers(-max_shift, max_shift + 1))
    top = (rh - ch) // 2 + int(rng.integers(-max_shift, max_shift + 1))
    left, top = min(max(left, 0), rw - cw), min(max(top, 0), rh - ch)
    return resized.crop((left, top, left + cw, top + ch))


@dataclass(frozen=True)
class SyntheticFrame:
    image: Image.Image
    defect: Defect


class BurstTruth(TypedDict):
    """The ground truth of one written burst: its files in shooting order and the clean frame."""

    source: str  # the photo (or video) it was made from
    kind: str  # "burst" or "bracket"
    files: list[str]  # file names in the shoot folder (absolute paths in training_face_shoot's)
    best: str | None  # the clean frame's file; None for a bracket (no frame is clean)
    defects: list[str]  # "kind:strength" per file


def _training_defect(rng: np.random.Generator) -> Defect:
    """One defect of the training mix: any model at a random strength, a quarter of them combined with a second."""
    kinds = list(TRAINING_LEVELS)
    kind = str(rng.choice(kinds))
    strength = float(rng.uniform(*TRAINING_LEVELS[kind]))
    if rng.random() < 0.25:
        kind = f"{kind}+{rng.choice([k for k in kinds if k != kind])}"
    return Defect(kind, strength)


def make_burst(
    source: Image.Image, rng: np.random.Generator, level: str = "clear", frames: int = 5, size: int | None = None
) -> list[SyntheticFrame]:
    """One clean frame plus frames-1 defective ones, in shuffled order; every frame is re-framed by hand-shake.
    `size` (long side) defaults to the source's own, capped at 1024: upscaling would soften every frame.
    `level` is a LEVELS key or "training" (TRAINING_LEVELS, combined defects, and, in half the bursts,
    a little sensor noise shared by every frame, the clean one included: real bursts are never pristine)."""
    size = size or min(1024, max(source.size))
    if level == "training":
        defects = [Defect("clean", 0.0)] + [_training_defect(rng) for _ in range(frames - 1)]
        shared = float(rng.uniform(0.002, 0.01)) if rng.random() < 0.5 else 0.0
    else:
        strengths = LEVELS[level]
        kinds = list(rng.choice(list(strengths), size=frames - 1, replace=frames - 1 > len(strengths)))
        defects = [Defect("clean", 0.0)] + [Defect(k, float(rng.uniform(*strengths[k]))) for k in kinds]
        shared = 0.0
    order = rng.permutation(len(defects))
    result = []
    for i in order:
        frame = handheld_frame(source, rng, size)
        if shared:
            frame = apply_defect(frame, Defect("noise", shared), rng)
        result.append(SyntheticFrame(apply_defect(frame, defects[i], rng), defects[i]))
    return result


def exif_bytes(when: dt.datetime, exposure_bias: float | None = None, model: str = "PhotoTriage Synthetic") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhotoTriage"  # Make
    exif[0x0110] = model  # Model
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    ifd[0x9291] = f"{when.microsecond // 10000:02d}"  # SubSecTimeOriginal (centiseconds)
    if exposure_bias is not None:
        ifd[0x9204] = exposure_bias  # ExposureBiasValue
    return exif.tobytes()


def write_shoot(
    dest: Path,
    sources: list[tuple[str, Image.Image]],
    rng: np.random.Generator,
    level: str = "clear",
    frames: int = 5,
    size: int | None = None,
    start: dt.datetime | None = None,
    brackets: int = 0,
) -> list[BurstTruth]:
    """Write a shoot folder of bursts as JPEGs with EXIF times (0.3 s apart inside a burst, a minute
    between bursts). Returns the ground truth: one dict per burst with its files and the clean frame.
    `brackets` extra sources become -1/0/+1 EV exposure brackets."""
    dest.mkdir(parents=True, exist_ok=True)
    when = start or dt.datetime(2024, 6, 1, 10, 0, 0)
    truth: list[BurstTruth] = []
    counter = 1
    for index, (name, source) in enumerate(sources):
        is_bracket = index >= len(sources) - brackets
        burst: list[tuple[Image.Image, Defect, float | None]]  # (frame, defect, exposure bias in EV)
        if is_bracket:
            frame = handheld_frame(source, rng, size or min(1024, max(source.size)), max_shift=1)
            shots = [
                (apply_defect(frame, Defect("under" if ev < 0 else "over" if ev > 0 else "clean", abs(ev)), rng), ev)
                for ev in (-1.0, 0.0, 1.0)
            ]
            burst = [(img, Defect("bracket", ev), ev) for img, ev in shots]
        else:
            burst = [(f.image, f.defect, None) for f in make_burst(source, rng, level, frames, size)]
        files, best = [], None
        for image, defect, ev in burst:
            path = dest / f"IMG_{counter:04d}.JPG"
            image.save(path, quality=92, exif=exif_bytes(when, ev))
            files.append(path.name)
            if defect.kind == "clean":
                best = path.name
            counter += 1
            when += dt.timedelta(milliseconds=300)
        truth.append(
            {
                "source": name,
                "kind": "bracket" if is_bracket else "burst",
                "files": files,
                "best": best,
                "defects": [f"{d.kind}:{d.strength:.2f}" for _, d, _ in burst],
            }
        )
        when += dt.timedelta(seconds=60)
    return truth


def iter_sources(names: tuple[str, ...] = SKIMAGE_PHOTOS) -> Iterator[tuple[str, Image.Image]]:
    for name in names:
        yield name, skimage_photo(name)
