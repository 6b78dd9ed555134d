"""The benchmark's shoots: camera-like JPEG bursts from scikit-image's photos and a people-only shoot, cached."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import log

#: bump when the generated photos change, so stale caches are rebuilt
GENERATOR_VERSION = 1
FRAMES_PER_BURST = 5
LONG_SIDES = (1600, 2000, 2400, 1800, 2200)
JPEG_QUALITY = 90
GRAIN_SIGMA = 3.0  # 8-bit levels: camera-like entropy, so files (and decode costs) are not unrealistically small


def base_frames(cache: Path, long_sides: Sequence[int], seed: int, sources: int | None) -> list[list[Path]]:
    """One burst of camera-like frames per scikit-image photo (one clean, the rest with defects)."""
    from PIL import Image

    from ranker.datasets.synthetic import SKIMAGE_PHOTOS, iter_sources, make_burst

    names = SKIMAGE_PHOTOS[:sources] if sources else SKIMAGE_PHOTOS
    folder = cache / f"base-v{GENERATOR_VERSION}-{'-'.join(map(str, long_sides))}-s{seed}"
    bursts = [[folder / f"{name}-{k}.jpg" for k in range(FRAMES_PER_BURST)] for name in names]
    if all(p.is_file() for burst in bursts for p in burst):
        return bursts
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for index, (name, source) in enumerate(iter_sources(names)):
        rng = np.random.default_rng([seed, index])
        size = long_sides[index % len(long_sides)]
        level = "clear" if index % 2 == 0 else "subtle"
        for k, frame in enumerate(make_burst(source, rng, level, FRAMES_PER_BURST, size=size)):
            pixels = np.asarray(frame.image, dtype=np.float32)
            pixels += rng.normal(0.0, GRAIN_SIGMA, pixels.shape).astype(np.float32)
            image = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))
            tmp = folder / f".{name}-{k}.tmp"
            image.save(tmp, "JPEG", quality=JPEG_QUALITY)
            os.replace(tmp, folder / f"{name}-{k}.jpg")
    log(f"generated {len(bursts) * FRAMES_PER_BURST} base frames in {time.perf_counter() - started:.0f} s ({folder})")
    return bursts


#: People-only shoot: bursts of framings of scikit-image's public-domain astronaut portrait (the one
#: licence-clean face in the wheel), at camera size, so every photo has a face the detector finds.
PEOPLE_BURSTS = 8


def people_frames(cache: Path, long_sides: Sequence[int], seed: int) -> list[list[Path]]:
    """PEOPLE_BURSTS bursts of one person: each a different framing of the portrait (crop, scale, mirror,
    white balance: ranker.datasets.face_bursts.portrait_variants), its frames a hand-shake apart, camera-like."""
    from PIL import Image

    from ranker.datasets.face_bursts import portrait_variants
    from ranker.datasets.synthetic import handheld_frame, skimage_photo

    folder = cache / f"people-v{GENERATOR_VERSION}-{'-'.join(map(str, long_sides))}-s{seed}"
    bursts = [[folder / f"portrait{b}-{k}.jpg" for k in range(FRAMES_PER_BURST)] for b in range(PEOPLE_BURSTS)]
    if all(p.is_file() for burst in bursts for p in burst):
        return bursts
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 16])
    for b, variant in enumerate(portrait_variants(skimage_photo("astronaut"), rng, PEOPLE_BURSTS)):
        size = long_sides[b % len(long_sides)]
        for k in range(FRAMES_PER_BURST):
            pixels = np.asarray(handheld_frame(variant, rng, size, max_shift=4), dtype=np.float32)
            pixels += rng.normal(0.0, GRAIN_SIGMA, pixels.shape).astype(np.float32)
            tmp = folder / f".portrait{b}-{k}.tmp"
            Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8)).save(tmp, "JPEG", quality=JPEG_QUALITY)
            os.replace(tmp, bursts[b][k])
    return bursts


def _with_exif(jpeg: bytes, exif: bytes) -> bytes:
    """The same JPEG with an EXIF APP1 segment right after SOI (no re-encoding)."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg[2:]


def make_shoot(cache: Path, count: int, bursts: list[list[Path]], name: str = "shoot") -> Path:
    """`count` photos in bursts of 5 (0.3 s apart, a minute between bursts), each file unique."""
    from ranker.datasets.synthetic import exif_bytes

    key = f"{bursts[0][0].parent.name}"
    folder = cache / f"{name}-{count}"
    stamp = folder / ".complete"
    if stamp.is_file() and stamp.read_text() == key:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    data = [[p.read_bytes() for p in burst] for burst in bursts]
    start = dt.datetime(2024, 6, 1, 9, 0, 0)
    for i in range(count):
        burst, frame = divmod(i, FRAMES_PER_BURST)
        when = start + dt.timedelta(seconds=60 * burst, milliseconds=300 * frame)
        exif = exif_bytes(when, model=f"PhotoTriage Bench {count}-{i:05d}")
        jpeg = data[burst % len(data)][frame % len(data[burst % len(data)])]
        (folder / f"IMG_{i + 1:05d}.JPG").write_bytes(_with_exif(jpeg, exif))
    stamp.write_text(key)
    return folder


def shoot_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".JPG")


def warm_page_cache(paths: Sequence[Path]) -> int:
    """Read every file once so no timing depends on whether the disk cache is cold."""
    return sum(len(p.read_bytes()) for p in paths)
