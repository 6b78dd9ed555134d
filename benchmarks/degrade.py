"""A second, independently written degradation generator for evaluation only (never imported by training).

It shares no code with ranker.datasets.synthetic: blur, noise and tone are modelled differently (Pillow filters and
sRGB-space arithmetic instead of linear-light kernels), so a ranker that only learned the training
generator's fingerprints does not pass here. tests/benchmarks/test_degrade.py asserts that no training
module imports it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

#: (low, high) strength of each degradation per level; units are given by each function below.
STRENGTHS = {
    "clear": {
        "gaussian_blur": (2.0, 4.0),
        "motion": (9, 17),
        "noise": (14.0, 26.0),
        "jpeg": (8, 18),
        "darker": (0.35, 0.5),
        "brighter": (1.7, 2.3),
        "haze": (0.45, 0.6),
        "colour_cast": (0.18, 0.3),
    },
    "subtle": {
        "gaussian_blur": (0.9, 1.5),
        "motion": (4, 7),
        "noise": (6.0, 10.0),
        "jpeg": (22, 35),
        "darker": (0.62, 0.75),
        "brighter": (1.3, 1.5),
        "haze": (0.7, 0.8),
        "colour_cast": (0.08, 0.14),
    },
}


def gaussian_blur(image: Image.Image, radius: float, rng: np.random.Generator) -> Image.Image:
    """Missed focus modelled as a Gaussian PSF (radius in px at 1024 px long side)."""
    return image.filter(ImageFilter.GaussianBlur(radius * max(image.size) / 1024))


def motion(image: Image.Image, length: float, rng: np.random.Generator) -> Image.Image:
    """Camera motion as the average of copies shifted along a slightly curved path (length in px at 1024)."""
    pixels = np.asarray(image, dtype=np.float32)
    n = max(2, int(round(length * max(image.size) / 1024)))
    angle = rng.uniform(0, 2 * np.pi)
    bend = rng.uniform(-0.4, 0.4)
    acc = np.zeros_like(pixels)
    for i in range(n):
        t = i - (n - 1) / 2
        dx = int(round(t * np.cos(angle + bend * t / n)))
        dy = int(round(t * np.sin(angle + bend * t / n)))
        acc += np.roll(pixels, (dy, dx), axis=(0, 1))
    return Image.fromarray(np.clip(acc / n + 0.5, 0, 255).astype(np.uint8))


def noise(image: Image.Image, sigma: float, rng: np.random.Generator) -> Image.Image:
    """High-ISO look in 8-bit sRGB: independent per-channel Gaussian noise of `sigma` levels, a little stronger
    in the shadows, as phone cameras deliver it."""
    pixels = np.asarray(image, dtype=np.float32)
    weight = 1.25 - 0.5 * pixels.mean(axis=2, keepdims=True) / 255.0
    noisy = pixels + rng.normal(0.0, sigma, pixels.shape).astype(np.float32) * weight
    return Image.fromarray(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: float, rng: np.random.Generator) -> Image.Image:
    """Heavy compression at JPEG `quality` (with 4:2:0 chroma)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(quality), subsampling=2)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def darker(image: Image.Image, factor: float, rng: np.random.Generator) -> Image.Image:
    """Underexposure as a plain sRGB gain below 1."""
    return ImageEnhance.Brightness(image).enhance(factor)


def brighter(image: Image.Image, factor: float, rng: np.random.Generator) -> Image.Image:
    """Overexposure as an sRGB gain above 1: highlights clip."""
    return ImageEnhance.Brightness(image).enhance(factor)


def haze(image: Image.Image, factor: float, rng: np.random.Generator) -> Image.Image:
    """Veiling glare / flat tone: contrast pulled towards the mean."""
    return ImageEnhance.Contrast(image).enhance(factor)


def colour_cast(image: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """A wrong white balance: one channel scaled up, its opposite down."""
    pixels = np.asarray(image, dtype=np.float32)
    channel = int(rng.integers(0, 3))
    gains = np.full(3, 1.0 - amount / 2, dtype=np.float32)
    gains[channel] = 1.0 + amount
    return Image.fromarray(np.clip(pixels * gains + 0.5, 0, 255).astype(np.uint8))


DEGRADATIONS: dict[str, Callable[[Image.Image, float, np.random.Generator], Image.Image]] = {
    "gaussian_blur": gaussian_blur,
    "motion": motion,
    "noise": noise,
    "jpeg": jpeg,
    "darker": darker,
    "brighter": brighter,
    "haze": haze,
    "colour_cast": colour_cast,
}


def reframe(image: Image.Image, rng: np.random.Generator, long_side: int) -> Image.Image:
    """The next frame of a handheld burst: a crop a few pixels off, resized to `long_side`."""
    w, h = image.size
    margin = max(2, int(0.02 * min(w, h)))
    left, top = int(rng.integers(0, margin)), int(rng.integers(0, margin))
    crop = image.crop((left, top, w - margin + left, h - margin + top))
    scale = long_side / max(crop.size)
    return crop.resize(
        (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.Resampling.BICUBIC
    )


@dataclass(frozen=True)
class Frame:
    image: Image.Image
    degradation: str  # "clean" or a DEGRADATIONS key
    strength: float


def burst(
    source: Image.Image, rng: np.random.Generator, level: str, frames: int, long_side: int | None = None
) -> list[Frame]:
    """`frames` frames of one scene: exactly one clean, the rest each with one degradation, shuffled."""
    long_side = long_side or min(1024, max(source.size))
    table = STRENGTHS[level]
    kinds = rng.choice(list(table), size=frames - 1, replace=False)
    out = [Frame(reframe(source, rng, long_side), "clean", 0.0)]
    for kind in kinds:
        strength = float(rng.uniform(*table[kind]))
        out.append(Frame(DEGRADATIONS[kind](reframe(source, rng, long_side), strength, rng), str(kind), strength))
    return [out[i] for i in rng.permutation(len(out))]


def _exif(when) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Benchmark"
    exif[0x0110] = "Independent degradations"
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
    ifd[0x9291] = f"{when.microsecond // 10000:02d}"
    return exif.tobytes()


def write_shoot(dest, sources, rng: np.random.Generator, level: str, frames_range=(3, 5)) -> list[dict]:
    """One burst per source as JPEG files (quality 93) with capture times 0.25 s apart, bursts a minute
    apart, so `rank` groups them as a camera's bursts. Returns [{source, files, best, defects}]."""
    import datetime as dt
    from pathlib import Path

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(2025, 3, 14, 9, 0, 0)
    truth, counter = [], 1
    for name, source in sources:
        frames = burst(source, rng, level, int(rng.integers(frames_range[0], frames_range[1] + 1)))
        files, best, defects = [], None, []
        for frame in frames:
            path = dest / f"DSC{counter:05d}.JPG"
            frame.image.save(path, "JPEG", quality=93, exif=_exif(when))
            files.append(path)
            defects.append(f"{frame.degradation}:{frame.strength:.2f}")
            if frame.degradation == "clean":
                best = path
            counter += 1
            when += dt.timedelta(milliseconds=250)
        truth.append({"source": name, "files": files, "best": best, "defects": defects})
        when += dt.timedelta(seconds=60)
    return truth
