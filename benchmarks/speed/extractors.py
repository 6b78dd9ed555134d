"""Extractor throughput on pre-decoded images, one batch per registered (or chosen) extractor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import median_time


def extractor_benchmarks(
    sample: Sequence[Path], repeats: int, device: str, only: Sequence[str] | None
) -> tuple[dict, dict]:
    import torch

    from ranker.device import select_device
    from ranker.features.registry import all_specs, get_extractor
    from ranker.io.images import load_image

    results, skipped = {}, {}
    specs = [s for s in all_specs() if only is None or s.name in only]
    for spec in specs:
        if not spec.is_ready():
            skipped[spec.name] = f"weights not cached (`phototriage models download {spec.name}`)"
            continue
        try:
            extractor = get_extractor(spec.name, device)
            batch = 8 if spec.name.startswith("pyiqa:") else 32
            images = [load_image(p, max_size=extractor.decode_size) for p in list(sample)[:batch]]
            extractor.extract(images[:1])  # load weights / import libraries outside the timing
            fresh: list = []

            def setup():
                # quality_signals caches per image object: copies, so each run really computes
                fresh[:] = [im.copy() for im in images]

            stats = median_time(lambda: extractor.extract(fresh), repeats, setup=setup)
        except Exception as exc:  # noqa: BLE001 - report, keep benchmarking the others
            skipped[spec.name] = f"failed: {type(exc).__name__}: {exc}"
            continue
        uses_torch = spec.name in ("clip", "cnn") or spec.name.startswith("pyiqa:")
        results[spec.name] = {
            "photos_per_s": len(images) / stats["median"],
            "ms_per_photo": 1000 * stats["median"] / len(images),
            "batch": len(images),
            "decode_size": extractor.decode_size,
            "device": str(select_device(device)) if uses_torch else "cpu (numpy/scipy)",
            "threads": torch.get_num_threads() if uses_torch else 1,
            "seconds": stats,
        }
    return results, skipped
