"""`python -m benchmarks.speed`: its flags, and the run that times every part and prints the report."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import benchmarks.speed
from benchmarks.common import BUILD, benchmark_parser, command_line, log, machine, write_json
from benchmarks.speed.decode import DECODE_SIZE, decode_benchmarks, raw_samples
from benchmarks.speed.extractors import extractor_benchmarks
from benchmarks.speed.grouping import grouping_benchmark
from benchmarks.speed.photos import (
    FRAMES_PER_BURST,
    GRAIN_SIGMA,
    JPEG_QUALITY,
    LONG_SIDES,
    base_frames,
    make_shoot,
    people_frames,
    warm_page_cache,
)
from benchmarks.speed.report import report
from benchmarks.speed.trials import rank_trials


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(benchmarks.speed)
    parser.add_argument("--quick", action="store_true", help="rank 100 and 1,000 photos only")
    parser.add_argument("--sizes", help="comma-separated shoot sizes (default 100,1000,5000; --quick 100,1000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; medians are reported")
    parser.add_argument("--device", default="auto", help="torch device: auto (CUDA, MPS, CPU), cpu, cuda")
    parser.add_argument("--model", type=Path, help="checkpoint to rank with (default: the shipped default)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=BUILD / "bench-photos",
        help="where benchmark photos are generated once (default %(default)s)",
    )
    parser.add_argument(
        "--long-sides",
        default=",".join(map(str, LONG_SIDES)),
        help="long sides of the generated photos, cycled (default %(default)s)",
    )
    parser.add_argument("--extractors", help="comma-separated extractors to time (default: all registered)")
    parser.add_argument("--sample", type=int, default=24, help="photos in the decode and extractor samples")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the pipeline trials in this process (peak memory then covers the whole run)",
    )
    parser.add_argument("--dng-size", default="3000x2000", help="synthetic DNG sensor size, WxH (default %(default)s)")
    parser.add_argument(
        "--grouping-sizes",
        help="photo counts for the grouping-only timing (default 1000,10000,100000; --quick 1000,10000)",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=100,
        metavar="N",
        help="also rank a people-only shoot of N photos (a face in every one; 0: skip; default %(default)s)",
    )
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="only command start-up and the cached re-rank of --startup-photos (benchmarks/startup.py)",
    )
    parser.add_argument("--startup-photos", type=int, default=150, help="shoot size of the cached re-rank timing")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time the start-up of another checkout's code (e.g. an older commit), interleaved",
    )
    args = parser.parse_args(argv)
    w, _, h = args.dng_size.partition("x")
    args.dng_size = (int(w) // 2 * 2, int(h) // 2 * 2)
    return args


def _rank_trials(call: tuple, in_process: bool) -> dict:
    """rank_trials(*call) here, or in a fresh spawned process so that its peak memory is this shoot's alone."""
    if in_process:
        return rank_trials(*call)
    import multiprocessing

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(rank_trials, *call).result()


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("100,1000" if args.quick else "100,1000,5000")).split(",")]
    long_sides = [int(s) for s in args.long_sides.split(",")]
    cache = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "command": command_line("benchmarks.speed", argv),
        "machine": machine(args.device),
        "config": {
            "sizes": sizes,
            "repeats": args.repeats,
            "dng_size": args.dng_size,
            "long_sides": long_sides,
            "jpeg_quality": JPEG_QUALITY,
            "decode_size": DECODE_SIZE,
            "device": args.device,
            "cache_dir": str(cache),
        },
    }
    from ranker.ml.active_model import default_checkpoint_path, model_key
    from ranker.ml.checkpoint import CheckpointError, load_checkpoint

    try:  # fail now, not after generating photos and timing decoders
        model_path = args.model or default_checkpoint_path()
        results["model"] = f"{load_checkpoint(model_path).label}, content key {model_key(model_path)}"
    except CheckpointError as exc:
        raise SystemExit(f"cannot rank with {exc}") from exc
    bursts = base_frames(cache, long_sides, args.seed, args.sources)
    folders = {n: make_shoot(cache, n, bursts) for n in sizes}
    results["photos"] = (
        f"{len(bursts) * FRAMES_PER_BURST} distinct camera-like JPEGs "
        f"({min(long_sides)}-{max(long_sides)} px, q{JPEG_QUALITY}, grain σ={GRAIN_SIGMA}) "
        f"repeated with unique EXIF in {cache}"
    )
    from benchmarks.startup import startup_benchmarks, startup_report

    log(f"start-up and cached re-rank of {args.startup_photos} photos ...")
    results["startup"] = startup_benchmarks(make_shoot(cache, args.startup_photos, bursts), args.repeats, args.baseline)
    if args.startup_only:
        print(startup_report(results["startup"]))
        write_json(args.json, results)
        return results
    sample = [p for burst in bursts for p in burst][: args.sample]
    workers = min(4, os.cpu_count() or 2)
    with tempfile.TemporaryDirectory(prefix="phototriage-bench-speed-") as work:
        log("decoding ...")
        warm_page_cache(sample)
        results["decode"] = decode_benchmarks(sample, args.repeats, workers, raw_samples(Path(work), args.dng_size))
        log("extractors ...")
        only = args.extractors.split(",") if args.extractors else None
        results["extractors"], results["extractors_skipped"] = extractor_benchmarks(
            sample, args.repeats, args.device, only
        )
        results["rank"] = {}
        ratio_size = min(sizes, key=lambda n: abs(n - 1000))
        for n in sizes:
            log(f"rank on {n} photos, {args.repeats} x (first + cached run) ...")
            trial_dir = Path(work) / f"rank-{n}"
            trial_dir.mkdir()
            call = (
                str(folders[n]),
                args.repeats,
                args.device,
                str(args.model) if args.model else None,
                n == ratio_size,
                str(trial_dir),
            )
            results["rank"][str(n)] = _rank_trials(call, args.in_process)
            d = results["rank"][str(n)]
            log(f"  first {d['first']['median']:.1f} s, cached {d['second']['median']:.2f} s")
        if args.people:
            log(f"rank on a people-only shoot of {args.people} photos, {args.repeats} x ...")
            people = make_shoot(cache, args.people, people_frames(cache, long_sides, args.seed), name="people")
            trial_dir = Path(work) / "rank-people"
            trial_dir.mkdir()
            call = (
                str(people),
                args.repeats,
                args.device,
                str(args.model) if args.model else None,
                True,
                str(trial_dir),
            )
            results["people"] = _rank_trials(call, args.in_process)
    ranks = results["rank"]
    lo, hi = str(min(sizes)), str(max(sizes))
    if lo != hi:

        def per(n, key):
            return ranks[n][key]["median"] / int(n)

        results["scaling"] = {
            "first_per_photo_ratio": per(hi, "first") / per(lo, "first"),
            "second_per_photo_ratio": per(hi, "second") / per(lo, "second"),
            "from": int(lo),
            "to": int(hi),
        }
    base = ranks[str(ratio_size)]
    decode = base["decode_only"]
    results["ratios"] = {
        "photos": ratio_size,
        "decode_s": decode["pool"]["median"],
        "decode_single_s": decode["single_thread"]["median"],
        "pool_threads": decode["pool_threads"],
        "first_s": base["first"]["median"],
        "second_s": base["second"]["median"],
        "first_vs_decode": base["first"]["median"] / decode["pool"]["median"],
        "second_speedup": base["first"]["median"] / base["second"]["median"],
        # The machine may be shared: the fastest runs are the least disturbed, so report them too.
        "first_vs_decode_fastest": base["first"]["min"] / decode["pool"]["min"],
        # each first run over the decode pass run right after it (drift between the two cancels)
        "first_vs_decode_pairs": base["first_vs_decode_pairs"],
        "first_cpu_vs_decode_cpu_pairs": base["first_cpu_vs_decode_cpu_pairs"],
        "second_speedup_fastest": base["first"]["min"] / base["second"]["min"],
        # CPU time of every thread: the same work whatever else the machine is doing.
        "first_cpu_s": base["first_cpu"]["median"],
        "decode_cpu_s": decode["pool_cpu"]["median"],
        "first_cpu_vs_decode_cpu": base["first_cpu_vs_decode_cpu"],
        "first_photos_per_s": ratio_size / base["first"]["median"],
        "second_photos_per_s": ratio_size / base["second"]["median"],
    }
    grouping = args.grouping_sizes or ("1000,10000" if args.quick else "1000,10000,100000")
    results["grouping"] = grouping_benchmark([int(n) for n in grouping.split(",")], args.seed)
    print(report(results))
    write_json(args.json, results)
    return results
