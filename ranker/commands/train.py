"""`phototriage train --dataset DIR`: train the Siamese ranker on the published PhotoTriage release.

Features come from the same pipeline and cache as `rank` (frozen extractors, decoded once); the
tower and head are trained with AdamW on a margin ranking loss, stopping early on validation accuracy.
The output folder receives best_model.pt (load_checkpoint-compatible) and test_results.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ranker.commands import Subparsers
from ranker.commands.common import USER_ERRORS, ProgressBar, fail
from ranker.datasets.phototriage import (
    DEFAULT_AMBIGUITY_BAND,
    QUOTE_LIMIT,
    DatasetError,
    SplitPairs,
    empty_split_message,
    load_pairs,
    series_of,
)
from ranker.errors import UsageError

if TYPE_CHECKING:
    from ranker.catalog import Catalog
    from ranker.model_config import MultiFeatureConfig
    from ranker.training import PairSet

CHECKPOINT_NAME = "best_model.pt"
RESULTS_NAME = "test_results.json"
#: The default feature cache. Dataset features live in their own catalog in the user's cache folder:
#: - not in <output_dir>, because every experiment (another --mlp_hidden_dims, seed, ...) writes a new
#:   output folder, and re-decoding ~15k photos through CLIP and ResNet for each would cost an hour;
#: - not in the user's photo catalog, which would otherwise list ~15k strangers' photos among the user's
#:   own (the GUI's library, decisions, choices); this file is pure cache and safe to delete.
#: It is an ordinary ranker.catalog.Catalog filled by the ranking pipeline, so the features are computed
#: exactly as `rank` computes them. --feature_cache points elsewhere.
FEATURE_CACHE_NAME = "phototriage_dataset_features.db"


def str2bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "y", "on"):
        return True
    if value in ("false", "0", "no", "n", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "train", help="train the Siamese ranker on the PhotoTriage dataset", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        required=True,
        metavar="DIR",
        help="the PhotoTriage release: train_val/ (and optionally test/) as published",
    )
    parser.add_argument(
        "--output_dir",
        type=Path,
        default=Path("phototriage_train"),
        metavar="DIR",
        help="where best_model.pt and test_results.json go (default %(default)s)",
    )
    features = parser.add_argument_group("features")
    for flag, what in (
        ("--use_clip", "CLIP ViT-B/32 embedding (512)"),
        ("--use_cnn_features", "ResNet-50 layer3 (1024)"),
        ("--use_iqa_features", "hand-crafted quality features (4)"),
    ):
        features.add_argument(
            flag, type=str2bool, nargs="?", const=True, default=True, metavar="true|false", help=f"{what}; default true"
        )
    features.add_argument(
        "--extra_features",
        nargs="*",
        default=[],
        metavar="NAME",
        help="more extractors appended after the seed's three, e.g. noise pyiqa:piqe",
    )
    features.add_argument(
        "--burst_context",
        type=str2bool,
        nargs="?",
        const=True,
        default=False,
        metavar="true|false",
        help="also feed each photo's exposure (brightness, well-exposedness, "
        "clipping) relative to its series' median, as the shipped default does; default false",
    )
    features.add_argument(
        "--feature_cache",
        type=Path,
        metavar="FILE",
        help=f"feature cache catalog (default: {FEATURE_CACHE_NAME} in the cache folder)",
    )
    features.add_argument("--device", default="auto", help="extraction device: auto (CUDA, MPS, CPU), cpu, cuda, mps")
    model = parser.add_argument_group("model")
    model.add_argument(
        "--mlp_hidden_dims",
        type=int,
        nargs="+",
        default=[512, 256],
        metavar="N",
        help="Siamese tower widths; the last is the embedding size (default 512 256)",
    )
    model.add_argument("--dropout", type=float, default=0.3)
    model.add_argument("--use_layernorm", type=str2bool, nargs="?", const=True, default=True, metavar="true|false")
    training = parser.add_argument_group("training")
    training.add_argument("--max_epochs", type=int, default=30)
    training.add_argument("--batch_size", type=int, default=64)
    training.add_argument("--learning_rate", type=float, default=1e-3)
    training.add_argument("--weight_decay", type=float, default=1e-4)
    training.add_argument("--margin", type=float, default=0.5, help="margin of the ranking loss")
    training.add_argument(
        "--patience", type=int, default=5, help="epochs without a better validation accuracy before stopping"
    )
    training.add_argument(
        "--seed", type=int, default=0, help="seeds the quick-experiment draw, initialisation and shuffling"
    )
    data = parser.add_argument_group("pairs")
    data.add_argument(
        "--quick_experiment",
        type=float,
        metavar="FRACTION",
        help="use a seeded fraction (0-1] of each split's SERIES, for quick runs",
    )
    data.add_argument(
        "--ambiguity_band",
        type=float,
        nargs=2,
        default=list(DEFAULT_AMBIGUITY_BAND),
        metavar=("LOW", "HIGH"),
        help="drop pairs with LOW <= P <= HIGH (default 0.3 0.7, as in the paper; '0.5 0.5' keeps all but exact ties)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    parser.set_defaults(func=main)


def _check_arguments(args: argparse.Namespace) -> None:
    checks = [
        (args.max_epochs >= 1, "--max_epochs must be at least 1"),
        (args.batch_size >= 1, "--batch_size must be at least 1"),
        (args.learning_rate > 0, "--learning_rate must be positive"),
        (args.weight_decay >= 0, "--weight_decay must not be negative"),
        (args.margin >= 0, "--margin must not be negative"),
        (args.patience >= 1, "--patience must be at least 1"),
        (0 <= args.dropout < 1, "--dropout must be in [0, 1)"),
        (all(d >= 1 for d in args.mlp_hidden_dims), "--mlp_hidden_dims must be positive widths"),
        (
            args.quick_experiment is None or 0 < args.quick_experiment <= 1,
            "--quick_experiment must be a fraction in (0, 1]",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)


def _model_config(args: argparse.Namespace) -> MultiFeatureConfig:
    from ranker.model import MultiFeatureConfig

    try:
        return MultiFeatureConfig(
            use_clip=args.use_clip,
            use_cnn_features=args.use_cnn_features,
            use_iqa_features=args.use_iqa_features,
            extra_features=tuple(args.extra_features),
            mlp_hidden_dims=tuple(args.mlp_hidden_dims),
            dropout=args.dropout,
            use_layernorm=args.use_layernorm,
            burst_context=("exposure_profile",) if args.burst_context else (),
        )
    except KeyError as exc:  # an unknown extractor name: the registry's message suggests the closest
        raise UsageError(exc.args[0]) from None


def _require_extractors(names: list[str], device: str) -> None:
    """Every extractor's weights, checked offline before anything is read or decoded."""
    from ranker.features.registry import get_extractor
    from ranker.features.weights import ModelMissingError

    problems = []
    for name in names:
        try:
            get_extractor(name, device).check_available()
        except ModelMissingError as exc:
            problems.append(str(exc))
    if problems:
        raise ModelMissingError(
            "cannot train: weights are missing for the requested features (nothing was "
            "decoded):\n  " + "\n  ".join(problems)
        )


def _count_line(split: SplitPairs, band: tuple[float, float]) -> str:
    c = split.counts
    text = (
        f"{split.name:<5}: {c.lines} pairs in {c.series} series → {c.used} used; "
        f"{c.ambiguous} dropped as ambiguous ({band[0]:g} <= P <= {band[1]:g}); "
        f"{c.missing_image} skipped (missing image); {c.unreadable_image} skipped (unreadable image)"
    )
    if c.outside_selection or c.series_selected != c.series:
        text += f"; {c.outside_selection} outside the --quick_experiment draw ({c.series_selected} series)"
    return text


def _print_examples(split: SplitPairs, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for label, examples in (("missing image", split.missing_examples), ("unreadable image", split.unreadable_examples)):
        for example in examples[:QUOTE_LIMIT]:
            print(f"  skipped ({label}) {example}", file=out)
        if len(examples) > QUOTE_LIMIT:
            print(
                f"  ... and {len(examples) - QUOTE_LIMIT} more pairs skipped ({label}); "
                f"all are listed in {RESULTS_NAME}",
                file=out,
            )


def _require_training_splits(splits: dict[str, SplitPairs]) -> None:
    """Training needs pairs in train and val; test is optional."""
    for name in ("train", "val"):
        if not splits[name].pairs:
            raise DatasetError(empty_split_message(splits[name]))


def _report_splits(splits: dict[str, SplitPairs], band: tuple[float, float]) -> None:
    """Print what each split holds (used, dropped, skipped and why), then insist on train and val."""
    for split in splits.values():
        print(_count_line(split, band))
        _print_examples(split)
    _require_training_splits(splits)


def _scan_folder(image_dir: Path, names: set[str], staged: bool, tmp: Path) -> tuple[Path, str | None]:
    """The folder to scan: the image folder itself, or (quick experiments) a folder of links to just
    the drawn photos, so that a 5% run decodes 5% of the release. Returns (folder, note)."""
    if not staged:
        return image_dir, None
    folder = Path(tempfile.mkdtemp(prefix="links-", dir=tmp))
    try:
        for name in sorted(names):
            os.symlink((image_dir / name).resolve(), folder / name)
    except OSError as exc:  # no symlinks here (e.g. Windows without developer mode): scan everything
        return image_dir, (
            f"note: cannot link the drawn photos ({exc.strerror or exc}); analysing all of {image_dir} instead"
        )
    return folder, None


def extract_features(
    splits: dict[str, SplitPairs],
    config: MultiFeatureConfig,
    catalog: Catalog,
    device: str,
    staged: bool,
    progress: bool,
) -> tuple[dict[tuple[Path, str], str], dict[str, Any]]:
    """Features for every photo the pairs use, through the ranking pipeline and its cache.

    Returns ({(image_dir, name): fingerprint}, stats). Pairs naming photos that failed to decode are
    dropped from their split and counted there.
    """
    from ranker.pipeline import PipelineOptions, run, scan_shoot
    from ranker.scan import fingerprint

    by_dir: dict[Path, set[str]] = {}
    for split in splits.values():
        by_dir.setdefault(split.image_dir, set()).update(split.images)
    fingerprints: dict[tuple[Path, str], str] = {}
    stats = {
        "images": sum(len(n) for n in by_dir.values()),
        "decoded": 0,
        "cached": 0,
        "unreadable": 0,
        "other_files_unreadable": 0,
        "seconds": 0.0,
    }
    started = time.perf_counter()
    options = PipelineOptions(device=device, import_sidecars=False)
    with tempfile.TemporaryDirectory(prefix="phototriage-train-") as tmp:
        for image_dir, names in by_dir.items():
            if not names:
                continue
            folder, note = _scan_folder(image_dir, names, staged, Path(tmp))
            if note:
                print(note, file=sys.stderr)
            bar = ProgressBar(enabled=progress and sys.stderr.isatty())
            try:
                _, failures, scan_stats = run(scan_shoot(folder, catalog, config.extractor_names, options), bar)
            finally:
                bar.close()
            stats["decoded"] += scan_stats["decoded"]
            stats["cached"] += scan_stats["cached"]
            reasons = {f.path.name: f.reason for f in failures if f.path.parent == folder}
            unreadable = {name: reasons[name] for name in names if name in reasons}
            stats["other_files_unreadable"] += len(failures) - len(unreadable)
            for name in names:
                if name in unreadable:
                    continue
                path = folder / name
                known = catalog.known_file(path)
                analysed = catalog.photo(known[0]).fingerprint if known is not None else None
                if analysed is not None:
                    fingerprints[(image_dir, name)] = analysed
                elif path.is_file():  # a byte-identical copy of another photo: the catalog keeps one path
                    fingerprints[(image_dir, name)] = fingerprint(path)
                else:
                    unreadable[name] = "not a photo file the scanner accepts"
            stats["unreadable"] += len(unreadable)
            for split in splits.values():
                if split.image_dir == image_dir:
                    split.drop_unreadable(unreadable)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return fingerprints, stats


def build_pair_sets(
    splits: dict[str, SplitPairs],
    fingerprints: dict[tuple[Path, str], str],
    catalog: Catalog,
    config: MultiFeatureConfig,
) -> dict[str, PairSet]:
    """One PairSet per split over the distinct photos its pairs use. A series is the dataset's burst:
    burst-relative features are taken against the other photos of the same series in the split."""
    import numpy as np

    from ranker.scoring import model_inputs
    from ranker.training import PairSet

    sets = {}
    for name, split in splits.items():
        images = sorted(split.images)
        index = {image: i for i, image in enumerate(images)}
        series: dict[str, list[int]] = {}
        for image, row in index.items():
            series.setdefault(series_of(image), []).append(row)
        try:
            features = model_inputs(
                catalog, [fingerprints[(split.image_dir, i)] for i in images], config, series.values()
            )
        except LookupError as exc:
            raise RuntimeError(f"the feature cache {catalog.path} lost features during training ({exc})") from exc
        sets[name] = PairSet(
            features,
            np.array([index[w] for w, _, _ in split.pairs], dtype=np.int64),
            np.array([index[loser] for _, loser, _ in split.pairs], dtype=np.int64),
        )
    return sets


def _finite(value: Any) -> Any:
    """JSON-safe: NaN and infinities (an empty split's accuracy) become null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _train(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _check_arguments(args)
    config = _model_config(args)
    _require_extractors(config.extractor_names, args.device)  # before reading a single image
    band = (args.ambiguity_band[0], args.ambiguity_band[1])
    release, splits = load_pairs(args.dataset, args.quick_experiment, args.seed, band)

    print(
        f"Dataset {release.root}: splits {', '.join(splits)}"
        + ("" if "test" in splits else " (no test/ folder: test accuracy is not measured)")
    )
    _report_splits(splits, band)
    if "test" in splits and not splits["test"].pairs:
        print(f"warning: {empty_split_message(splits['test'])}; test accuracy is not measured")

    import torch

    from ranker.catalog import Catalog
    from ranker.checkpoint import feature_set_of, save_checkpoint
    from ranker.model import MultiFeaturePairwiseRanker
    from ranker.paths import cache_dir
    from ranker.training import (
        TrainConfig,
        fit_normalization,
        pairwise_accuracy,
        train_pairs,
    )

    cache_path = args.feature_cache or cache_dir() / FEATURE_CACHE_NAME
    progress = not args.quiet
    staged = args.quick_experiment is not None and args.quick_experiment < 1
    with Catalog(cache_path) as catalog:
        for notice in catalog.notices:
            print(f"note: {notice}", file=sys.stderr)
        fingerprints, extraction = extract_features(splits, config, catalog, args.device, staged, progress)
        print(
            f"Features ({'+'.join(config.extractor_names)}): {extraction['images']} photos, "
            f"{extraction['decoded']} analysed, {extraction['cached']} from cache {cache_path} "
            f"({extraction['seconds']:.1f} s)"
        )
        if extraction["unreadable"]:
            print(f"warning: {extraction['unreadable']} photo(s) could not be read; their pairs are skipped:")
            _report_splits(splits, band)  # a split may have lost all its pairs
        sets = build_pair_sets(splits, fingerprints, catalog, config)

    train_config = TrainConfig.taken_from(args)
    torch.manual_seed(args.seed)  # the initial weights, too, follow --seed
    model = MultiFeaturePairwiseRanker(config)
    fit_normalization(model, sets["train"].features)
    print(
        f"Training {model.get_architecture_metadata()['architecture_summary']} on {len(sets['train'])} pairs, "
        f"validating on {len(sets['val'])}"
    )
    result = train_pairs(model, sets["train"], sets["val"], train_config, progress=progress, desc="train")
    accuracy = {name: _finite(pairwise_accuracy(model, pairs)) for name, pairs in sets.items()}
    accuracy.setdefault("test", None)

    output_dir = args.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    counts = {name: split.counts.to_dict() for name, split in splits.items()}
    options = {
        "dataset": str(release.root.resolve()),
        "quick_experiment": args.quick_experiment,
        "ambiguity_band": list(band),
        "seed": args.seed,
        "feature_cache": str(cache_path),
    }
    info = {
        "name": f"phototriage-{output_dir.resolve().name}",
        "built_by": "phototriage train",
        **options,
        "pairs": {name: len(pairs) for name, pairs in sets.items()},
        "pairwise_accuracy": accuracy,
        "best_epoch": result.best_epoch,
    }
    checkpoint_path = save_checkpoint(output_dir / CHECKPOINT_NAME, model, {**train_config.to_dict(), **options}, info)
    architecture = model.get_architecture_metadata()
    total = time.perf_counter() - started
    results = {
        "architecture_type": architecture["architecture_type"],
        "embedding_dim": architecture["embedding_dim"],
        "architecture": architecture,
        "feature_set": feature_set_of(config),
        "model_config": config.to_dict(),
        "training_config": train_config.to_dict(),
        "options": options,
        "pairwise_accuracy": accuracy,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "history": _finite(result.history),
        "counts": counts,
        "pairs_used": {name: c["used"] for name, c in counts.items()},
        "pairs_dropped_ambiguous": sum(c["ambiguous"] for c in counts.values()),
        "pairs_skipped": sum(c["missing_image"] + c["unreadable_image"] for c in counts.values()),
        "skipped_pairs": {
            name: {"missing_image": split.missing_examples, "unreadable_image": split.unreadable_examples}
            for name, split in splits.items()
        },
        "extraction": extraction,
        "timing": {
            "extraction_seconds": extraction["seconds"],
            "training_seconds": round(result.seconds, 3),
            "total_seconds": round(total, 3),
        },
        "checkpoint": str(checkpoint_path),
    }
    results_path = output_dir / RESULTS_NAME
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    print(
        f"Best epoch {result.best_epoch} of {len(result.history)}; pairwise accuracy: "
        + ", ".join(f"{name} {fmt(value)}" for name, value in accuracy.items())
    )
    print(
        f"Pairs used {results['pairs_used']}, dropped as ambiguous {results['pairs_dropped_ambiguous']}, "
        f"skipped {results['pairs_skipped']}"
    )
    print(f"Wrote {checkpoint_path} and {results_path} ({total:.1f} s)")
    return 0


def main(args: argparse.Namespace) -> int:
    try:
        return _train(args)
    except USER_ERRORS as exc:  # DatasetError is a UsageError: a message, never a traceback
        return fail(str(exc))
