"""Synthetic bursts with realistic defects (shake, defocus, high-ISO noise, exposure errors, handheld shifts),
built from licence-clean photos: the default checkpoint's training data, the demo shoot and the benchmarks."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image
from scipy import ndimage

#: scikit-image photographs that ship inside its wheel (everything else in skimage.data downloads).
SKIMAGE_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right",
                  "hubble_deep_field", "moon", "coins", "clock")


def skimage_photo(name: str) -> Image.Image:
    from skimage import data

    if name.startswith("motorcycle_"):  # a stereo pair: two real views of one scene
        array = data.stereo_motorcycle()[0 if name.endswith("left") else 1]
    else:
        array = getattr(data, name)()
    return Image.fromarray(array).convert("RGB")


def training_photos_dir() -> Path:
    from ranker.paths import resources_dir

    return resources_dir() / "training_photos"


@dataclass(frozen=True)
class Defect:
    kind: str  # "clean" | "shake" | "defocus" | "noise" | "under" | "over"
    strength: float  # pixels of blur, noise σ (0-1), or EV


#: Defect strengths by difficulty. "clear": what any culler must catch; "subtle": slight shake,
#: mild noise, half-stop exposure errors — where pixel-peeping photographers still see the difference.
LEVELS = {
    "clear": {"shake": (6.0, 12.0), "defocus": (2.5, 4.0), "noise": (0.05, 0.09), "under": (1.3, 2.0), "over": (1.0, 1.6)},
    "subtle": {"shake": (2.0, 3.5), "defocus": (1.0, 1.6), "noise": (0.02, 0.035), "under": (0.5, 0.7), "over": (0.4, 0.6)},
}


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def _motion_kernel(length: float, angle: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), dtype=np.float32)
    centre = size // 2
    for t in np.linspace(-length / 2, length / 2, num=max(2, int(length * 3))):
        x, y = centre + t * np.cos(angle), centre + t * np.sin(angle)
        kernel[int(round(y)) % size, int(round(x)) % size] += 1.0
    return kernel / kernel.sum()


def _disk_kernel(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    kernel = (x * x + y * y <= radius * radius).astype(np.float32)
    return kernel / kernel.sum()


def apply_defect(image: Image.Image, defect: Defect, rng: np.random.Generator) -> Image.Image:
    """Degrade in linear light where physics happens (blur, exposure, photon noise), then back to sRGB."""
    if defect.kind == "clean":
        return image.copy()
    linear = _to_linear(np.asarray(image, dtype=np.float32) / 255.0)
    if defect.kind == "shake":
        kernel = _motion_kernel(defect.strength, rng.uniform(0, np.pi))
        linear = np.stack([ndimage.convolve(linear[..., c], kernel, mode="reflect") for c in range(3)], axis=-1)
    elif defect.kind == "defocus":
        kernel = _disk_kernel(defect.strength)
        linear = np.stack([ndimage.convolve(linear[..., c], kernel, mode="reflect") for c in range(3)], axis=-1)
    elif defect.kind in ("under", "over"):
        linear = linear * 2.0 ** (defect.strength if defect.kind == "over" else -defect.strength)
    elif defect.kind == "noise":
        # High-ISO noise: signal-dependent shot noise plus read noise, with some chroma.
        sigma = defect.strength * np.sqrt(0.3 + linear)
        linear = linear + rng.normal(0, 1, linear.shape).astype(np.float32) * sigma * 0.6
        linear = linear + rng.normal(0, 1, linear.shape[:2] + (1,)).astype(np.float32) * sigma * 0.8
    else:
        raise ValueError(f"unknown defect {defect.kind!r}")
    return Image.fromarray((_to_srgb(linear) * 255 + 0.5).astype(np.uint8))


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


def make_burst(source: Image.Image, rng: np.random.Generator, level: str = "clear", frames: int = 5,
               size: int | None = None) -> list[SyntheticFrame]:
    """One clean frame plus frames-1 defective ones, in shuffled order; every frame is re-framed by hand-shake.
    `size` (long side) defaults to the source's own, capped at 1024: upscaling would soften every frame."""
    size = size or min(1024, max(source.size))
    strengths = LEVELS[level]
    kinds = list(rng.choice(list(strengths), size=frames - 1, replace=frames - 1 > len(strengths)))
    defects = [Defect("clean", 0.0)] + [Defect(k, float(rng.uniform(*strengths[k]))) for k in kinds]
    order = rng.permutation(len(defects))
    return [SyntheticFrame(apply_defect(handheld_frame(source, rng, size), defects[i], rng), defects[i]) for i in order]


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


def write_shoot(dest: Path, sources: list[tuple[str, Image.Image]], rng: np.random.Generator, level: str = "clear",
                frames: int = 5, size: int | None = None, start: dt.datetime | None = None,
                brackets: int = 0) -> list[dict]:
    """Write a shoot folder of bursts as JPEGs with EXIF times (0.3 s apart inside a burst, a minute
    between bursts). Returns the ground truth: one dict per burst with its files and the clean frame.
    `brackets` extra sources become -1/0/+1 EV exposure brackets."""
    dest.mkdir(parents=True, exist_ok=True)
    when = start or dt.datetime(2024, 6, 1, 10, 0, 0)
    truth = []
    counter = 1
    for index, (name, source) in enumerate(sources):
        is_bracket = index >= len(sources) - brackets
        if is_bracket:
            frame = handheld_frame(source, rng, size or min(1024, max(source.size)), max_shift=1)
            shots = [(apply_defect(frame, Defect("under" if ev < 0 else "over" if ev > 0 else "clean", abs(ev)), rng), ev)
                     for ev in (-1.0, 0.0, 1.0)]
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
        truth.append({"source": name, "kind": "bracket" if is_bracket else "burst", "files": files, "best": best,
                      "defects": [f"{d.kind}:{d.strength:.2f}" for _, d, _ in burst]})
        when += dt.timedelta(seconds=60)
    return truth


def iter_sources(names: tuple[str, ...] = SKIMAGE_PHOTOS) -> Iterator[tuple[str, Image.Image]]:
    for name in names:
        yield name, skimage_photo(name)
