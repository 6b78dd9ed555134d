"""`phototriage train --dataset DIR`: train the Siamese ranker on the published PhotoTriage release.

Features come from the same pipeline and cache as `rank` (frozen extractors, decoded once); the
tower and head are trained with AdamW on a margin ranking loss, stopping early on validation accuracy.
The output folder receives best_model.pt (load_checkpoint-compatible) and test_results.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import USER_ERRORS, ProgressBar, fail
from ranker.datasets.phototriage import (
    DEFAULT_AMBIGUITY_BAND,
    QUOTE_LIMIT,
    DatasetError,
    SplitPairs,
    empty_split_message,
    load_pairs,
)
from ranker.datasets.phototriage_features import (
    FEATURE_CACHE_NAME,
    build_pair_sets,
    default_feature_cache,
    extract_features,
    require_extractors,
)
from ranker.errors import UsageError

if TYPE_CHECKING:
    from ranker.ml.model_config import MultiFeatureConfig

CHECKPOINT_NAME = "best_model.pt"
RESULTS_NAME = "test_results.json"


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
    from ranker.ml.model import MultiFeatureConfig

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
    require_extractors(config.extractor_names, args.device)  # before reading a single image
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

    from ranker.ml.checkpoint import feature_set_of, save_checkpoint
    from ranker.ml.model import MultiFeaturePairwiseRanker
    from ranker.ml.training import (
        TrainConfig,
        fit_normalization,
        pairwise_accuracy,
        train_pairs,
    )
    from ranker.store.catalog import Catalog

    cache_path = args.feature_cache or default_feature_cache()
    progress = not args.quiet
    staged = args.quick_experiment is not None and args.quick_experiment < 1
    with Catalog(cache_path) as catalog:
        for notice in catalog.notices:
            print(f"note: {notice}", file=sys.stderr)
        bar = ProgressBar(enabled=progress and sys.stderr.isatty())

        def note(text: str) -> None:
            bar.close()  # the note goes on a line of its own, before the next folder's bars
            print(text, file=sys.stderr)

        try:
            fingerprints, extraction = extract_features(splits, config, catalog, args.device, staged, bar, note)
        finally:
            bar.close()
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
