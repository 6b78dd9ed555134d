"""Whole `rank` runs on a shoot: first (empty catalog) and cached, with memory, catalog size and a decode baseline."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import median_time, summary, timed
from benchmarks.speed.decode import DECODE_SIZE
from benchmarks.speed.memory import current_rss_mib, peak_rss_since_reset, reset_peak_rss, rss_mib
from benchmarks.speed.photos import shoot_files, warm_page_cache


def rank_trials(folder: str, repeats: int, device: str, model: str | None, decode_baseline: bool, work: str) -> dict:
    """First (empty catalog) and second (cached) `rank` runs, `repeats` times, in this process.

    Run in a fresh child process per size so its peak memory belongs to this shoot alone."""
    saved = os.environ.get("PHOTOTRIAGE_DATA_DIR")
    os.environ["PHOTOTRIAGE_DATA_DIR"] = str(Path(work) / "data")  # never the user's models or catalog
    try:
        return _rank_trials(folder, repeats, device, model, decode_baseline, work)
    finally:
        if saved is None:
            os.environ.pop("PHOTOTRIAGE_DATA_DIR", None)
        else:
            os.environ["PHOTOTRIAGE_DATA_DIR"] = saved


def _rank_trials(folder: str, repeats: int, device: str, model: str | None, decode_baseline: bool, work: str) -> dict:
    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
    from ranker.ml.active_model import default_checkpoint_path
    from ranker.store.catalog import Catalog

    paths = shoot_files(Path(folder))
    model_path = Path(model) if model else default_checkpoint_path()
    options = PipelineOptions(device=device)
    warm_page_cache(paths)
    baseline_rss = current_rss_mib() or rss_mib()
    peak_from_reset = reset_peak_rss()  # else ru_maxrss, which includes the import-time peak
    first, first_cpu, second, sizes, stats = [], [], [], [], {}
    decode, decode_cpu = [], []  # the baseline, one pass after each first run: pairs run in turn
    for r in range(repeats):
        db = Path(work) / f"catalog-{r}.db"
        catalog = Catalog(db)
        try:
            cpu = time.process_time()  # every thread of this process: what the machine's load does not change
            seconds, ranking = timed(lambda: run(rank_shoot(folder, catalog, model_path=model_path, options=options)))
            first_cpu.append(time.process_time() - cpu)
            first.append(seconds)
            stats["first_run_stats"] = dict(ranking.stats)
            stats["bursts"] = len(ranking.bursts)
            stats["errors"] = len(ranking.errors)
            stats["model"] = ranking.model.label
            seconds, ranking = timed(lambda: run(rank_shoot(folder, catalog, model_path=model_path, options=options)))
            second.append(seconds)
            stats["second_run_stats"] = dict(ranking.stats)
        finally:
            catalog.close()
        if decode_baseline:  # right after the rank it is compared with, so both see the same machine
            seconds, cpu = _decode_pass(paths, options.decode_workers)
            decode.append(seconds)
            decode_cpu.append(cpu)
        sizes.append(sum(p.stat().st_size for p in db.parent.glob(db.name + "*")))
    peak_rss = (peak_rss_since_reset() if peak_from_reset else None) or rss_mib()
    result = {
        "photos": len(paths),
        "first": summary(first),
        "first_cpu": summary(first_cpu),
        "second": summary(second),
        "catalog_bytes": sizes[0],
        "catalog_bytes_per_1000": sizes[0] / len(paths) * 1000,
        "rss_mib_after_imports": baseline_rss,
        "peak_rss_mib": peak_rss,
        "peak_rss_source": (
            "VmHWM after a reset once imports were done" if peak_from_reset else "ru_maxrss (whole process)"
        ),
        "decode_workers": options.decode_workers,
        **stats,
    }
    if decode_baseline:
        result["decode_only"] = {
            "pool": summary(decode),
            "pool_cpu": summary(decode_cpu),
            "single_thread": median_time(lambda: _decode_pass(paths, 1), repeats),
            "max_size": DECODE_SIZE,
            "pool_threads": options.decode_workers,
        }
        result["first_cpu_vs_decode_cpu"] = result["first_cpu"]["median"] / result["decode_only"]["pool_cpu"]["median"]
        # each first run over the decode pass right after it: the machine's drift between runs cancels
        result["first_vs_decode_pairs"] = summary([f / d for f, d in zip(first, decode)])
        result["first_cpu_vs_decode_cpu_pairs"] = summary([f / d for f, d in zip(first_cpu, decode_cpu)])
    return result


def _decode_pass(paths: list[Path], threads: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every thread) to decode every photo as `rank` does, on `threads`."""
    from ranker.io.images import load_photo

    cpu = time.process_time()
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(lambda p: load_photo(p, max_size=DECODE_SIZE), paths):
            pass
    return time.perf_counter() - start, time.process_time() - cpu
