"""`python -m benchmarks.ranking`: its flags, and the run that evaluates every method and prints the report."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import benchmarks.ranking
from benchmarks.baselines import BASELINES, Scorers, fit_brisque_on_clive
from benchmarks.common import benchmark_parser, command_line, in_work_dir, machine, write_json
from benchmarks.ranking.burst_evaluation import evaluate_level
from benchmarks.ranking.bursts import GENERATORS, LEVEL_ORDER
from benchmarks.ranking.checkpoints import find_checkpoints
from benchmarks.ranking.clive_correlation import run_clive
from benchmarks.ranking.decoding import DECODE_SIZE
from benchmarks.ranking.metrics import verdict
from benchmarks.ranking.phototriage_validation import run_phototriage
from benchmarks.ranking.real_pairs import run_real_pairs
from benchmarks.ranking.report import report
from benchmarks.ranking.sources import held_out_sources

FULL_BURSTS = 60  # per level, at least
QUICK_BURSTS = 20


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(benchmarks.ranking)
    parser.add_argument(
        "--quick", action="store_true", help=f"about {QUICK_BURSTS} bursts per level (default: at least {FULL_BURSTS})"
    )
    parser.add_argument(
        "--photos",
        type=Path,
        metavar="DIR",
        help="also build bursts from the photos in DIR "
        "(any that resemble the default checkpoint's training photos are left out)",
    )
    parser.add_argument(
        "--phototriage",
        type=Path,
        metavar="DIR",
        help="also measure pairwise accuracy on the PhotoTriage validation split in DIR",
    )
    parser.add_argument("--phototriage-limit", type=int, metavar="N", help="evaluate a seeded sample of N pairs")
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="also evaluate this checkpoint (repeatable)",
    )
    parser.add_argument(
        "--bursts-per-source",
        type=int,
        metavar="N",
        help="bursts per source photo and level (default: enough for the burst count above)",
    )
    parser.add_argument("--levels", default=",".join(LEVEL_ORDER), help="comma-separated (default %(default)s)")
    parser.add_argument("--generators", default=",".join(GENERATORS), help="comma-separated (default %(default)s)")
    parser.add_argument("--no-clive", action="store_true", help="skip CLIVE (and the BRISQUE-style baseline)")
    parser.add_argument(
        "--clive-split",
        default="test",
        choices=("train", "val", "test"),
        help="CLIVE split to report (default: the held-out test split)",
    )
    parser.add_argument(
        "--clive-eval",
        type=Path,
        metavar="DIR",
        help="report on every photo of DIR instead, a CLIVE-layout folder (labels.csv, images/) that nothing "
        "here trained on, e.g. the held-back half; the BRISQUE-style baseline stays fitted on the CLIVE train split",
    )
    parser.add_argument("--device", default="auto", help="torch device for pyiqa and backbones")
    parser.add_argument("--no-pyiqa", action="store_true", help="skip the PIQE row (pyiqa takes ~5 s to import)")
    parser.add_argument(
        "--work",
        type=Path,
        metavar="DIR",
        help="keep the generated shoots and catalog here (default: a temporary folder, removed afterwards)",
    )
    args = parser.parse_args(argv)
    unknown = [lv for lv in args.levels.split(",") if lv not in LEVEL_ORDER]
    if unknown:
        parser.error(f"unknown level(s) {unknown}; choose from {LEVEL_ORDER}")
    if args.clive_eval is not None:
        from ranker.datasets import clive

        if not clive.is_available(args.clive_eval):
            parser.error(f"--clive-eval {args.clive_eval}: no labels.csv and images/ there (the CLIVE layout)")
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    return in_work_dir(args.work, "phototriage-bench-ranking-", lambda work: _main(args, work, argv))


def _main(args: argparse.Namespace, work: Path, argv: Sequence[str] | None) -> dict:
    from benchmarks.degrade import STRENGTHS
    from ranker.datasets import clive
    from ranker.datasets.synthetic import LEVELS
    from ranker.default_model import TRAINING_SKIMAGE
    from ranker.ml.active_model import model_key
    from ranker.store.catalog import Catalog

    levels = [lv for lv in LEVEL_ORDER if lv in args.levels.split(",")]
    generators = [g for g in GENERATORS if g in args.generators.split(",")]
    sources = held_out_sources(args.sources, args.photos)
    target = QUICK_BURSTS if args.quick else FULL_BURSTS
    rounds = args.bursts_per_source or max(1, math.ceil(target / len(sources.photos)))
    checkpoints, skipped = find_checkpoints(args.model)
    brisque, brisque_note = (None, "skipped: --no-clive") if args.no_clive else fit_brisque_on_clive()
    if brisque is None:
        skipped[BASELINES[-1]] = brisque_note
    scorers = Scorers(args.seed, args.device, not args.no_pyiqa, brisque)
    results: dict = {
        "command": command_line("benchmarks.ranking", argv),
        "machine": machine(args.device),
        "config": {
            "quick": args.quick,
            "seed": args.seed,
            "bursts_per_source": rounds,
            "decode_size": DECODE_SIZE,
            "independent_strengths": {lv: STRENGTHS[lv] for lv in levels},
            "training_levels": {lv: LEVELS[lv] for lv in levels},
        },
        "sources": [name for name, _ in sources.photos],
        "excluded": sources.excluded,
        "checkpoints": {
            c.name: {"path": str(c.path), "label": c.label, "note": c.note, "key": model_key(c.path)}
            for c in checkpoints
        },
        "skipped": skipped,
        "notes": {"BRISQUE-style": brisque_note},
        "generators": {},
    }
    catalog = Catalog(work / "catalog.db")
    try:
        for generator in generators:
            results["generators"][generator] = {}
            for level in levels:
                results["generators"][generator][level] = evaluate_level(
                    work,
                    generator,
                    level,
                    sources.photos,
                    rounds,
                    scorers,
                    checkpoints,
                    catalog,
                    args.device,
                    args.seed,
                )
        if not args.no_clive:
            if args.clive_eval is not None:
                results["clive"] = run_clive(checkpoints, scorers, None, args.clive_eval)
            elif clive.is_available():
                results["clive"] = run_clive(checkpoints, scorers, args.clive_split)
            else:
                results["notes"]["clive"] = f"skipped: no CLIVE data at {clive.default_root()} (set PHOTOTRIAGE_CLIVE)"
        results["real_pairs"] = run_real_pairs(checkpoints, scorers)
        if scorers.piqe_error:
            results["skipped"]["pyiqa piqe"] = f"skipped: {scorers.piqe_error}"
        elif args.no_pyiqa:
            results["skipped"]["pyiqa piqe"] = "skipped: --no-pyiqa"
        if args.phototriage is not None:
            results["phototriage"] = run_phototriage(
                args.phototriage, checkpoints, scorers, args.phototriage_limit, args.device, args.seed
            )
    finally:
        catalog.close()
    results["notes"]["held-out"] = (
        "the default checkpoint was built from resources/training_photos/ and "
        f"scikit-image's {', '.join(TRAINING_SKIMAGE)}; none of the sources above"
    )
    results["levels"] = results["generators"].get("independent", {})
    results["verdict"] = verdict(results["levels"])
    print(report(results))
    write_json(args.json, results)
    return results
