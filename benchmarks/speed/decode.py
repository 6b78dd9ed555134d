"""Decode and thumbnail timings: the sample JPEGs, a real CR2 and synthetic DNGs, full size and reduced."""

from __future__ import annotations

import functools
import statistics
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import ROOT, SHARED_PHOTOS, median_time


def _default_decode_size() -> int:
    """What `rank` decodes with the default checkpoint's feature set (the largest any of its extractors
    needs: 1024 px for the near-native detail map), so "within 2x of decode" compares like with like."""
    from ranker.features.registry import get_extractor
    from ranker.ml.active_model import default_checkpoint_path
    from ranker.ml.checkpoint import load_checkpoint

    names = [*load_checkpoint(default_checkpoint_path()).model.config.extractor_names, "descriptor"]
    return max(get_extractor(name).decode_size for name in names)


DECODE_SIZE = _default_decode_size()
THUMB_SIZE = 256


def decode_benchmarks(sample: Sequence[Path], repeats: int, workers: int, raw_files: dict[str, Path]) -> dict:
    from ranker.io.images import load_image, load_photo

    def per_photo(paths, max_size):
        stats = _median_loads(functools.partial(load_photo, max_size=max_size), paths, repeats, 1)
        return {
            "ms_per_photo": 1000 * stats["median"] / len(paths),
            "photos_per_s": len(paths) / stats["median"],
            "threads": 1,
            "photos": len(paths),
            "seconds": stats,
        }

    out: dict = {
        "jpeg": {
            "files": len(sample),
            "mean_megapixels": statistics.mean(_megapixels(p) for p in sample),
            "mean_bytes": statistics.mean(p.stat().st_size for p in sample),
            "full": per_photo(sample, None),
            "reduced_512": per_photo(sample, DECODE_SIZE),
        }
    }
    for name, path in raw_files.items():
        try:
            out[name] = {
                "file": str(path),
                "megapixels": _megapixels(path),
                "bytes": path.stat().st_size,
                "full": per_photo([path], None),
                "reduced_512": per_photo([path], DECODE_SIZE),
            }
        except Exception as exc:  # noqa: BLE001 - a RAW this install cannot open is a note, not a crash
            out[name] = {"file": str(path), "error": f"{type(exc).__name__}: {exc}"}

    def thumbs(threads):
        stats = _median_loads(functools.partial(load_image, max_size=THUMB_SIZE), sample, repeats, threads)
        return {"photos_per_s": len(sample) / stats["median"], "threads": threads, "size": THUMB_SIZE, "seconds": stats}

    out["thumbnails"] = [thumbs(1)] + ([thumbs(workers)] if workers > 1 else [])
    return out


def _median_loads(load: Callable[[Path], object], paths: Sequence[Path], repeats: int, threads: int) -> dict:
    """median_time of loading every path: one after another, or across `threads` threads."""

    def job():
        if threads == 1:
            for p in paths:
                load(p)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(load, paths))

    return median_time(job, repeats)


def _megapixels(path: Path) -> float:
    from ranker.io.images import read_metadata

    meta = read_metadata(path)
    return meta.width * meta.height / 1e6


def raw_samples(work: Path, dng_size: tuple[int, int]) -> dict[str, Path]:
    """The real CR2 when the shared photos are present, and synthetic DNGs (with and without a preview)."""
    found = {}
    cr2 = SHARED_PHOTOS / "raw" / "IMG_5952.CR2"
    if cr2.is_file():
        found["raw_cr2_real"] = cr2
    try:
        sys.path.insert(0, str(ROOT))
        from tests.synthetic_files import write_dng
    except ImportError:
        return found
    w, h = dng_size
    preview = (max(DECODE_SIZE, w // 2) // 2 * 2, max(2, round(max(DECODE_SIZE, w // 2) * h / w)) // 2 * 2)
    found["raw_dng_with_preview"] = write_dng(work / "synthetic-preview.dng", size=dng_size, preview_size=preview)
    found["raw_dng_no_preview"] = write_dng(work / "synthetic-bayer.dng", size=dng_size)
    return found
