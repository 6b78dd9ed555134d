"""`phototriage learn`: fine-tune a personal model on your choices; activate it only if it agrees with you more."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import USER_ERRORS, ProgressBar, fail, open_catalog
from ranker.culling.pipeline import run

if TYPE_CHECKING:
    from ranker.learning import TrainingPair

_SOURCE_NAMES = {
    "choice": "compare-view choices",
    "file": "choices from the file",
    "pick>reject": "pick over reject",
    "pick>unflagged": "pick over unflagged",
    "rating": "higher over lower stars",
}


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "learn",
        help="fine-tune a personal model on your choices (activated only if it agrees with you more)",
        description="Fine-tune the active model on your pairwise choices (the compare view's, a choices file's) "
        "and on what your picks, rejects and stars imply inside bursts. A fifth of your choices is "
        "held out; the new model is activated only if it agrees with them at least as well as the "
        "current one and clearly better than chance.",
    )
    parser.add_argument(
        "--choices",
        type=Path,
        metavar="FILE",
        help='JSON Lines of {"winner": PATH, "loser": PATH}; photos must be ranked first',
    )
    parser.add_argument(
        "--from-catalog",
        action="store_true",
        help="use the choices and decisions stored in the catalog (the default without --choices)",
    )
    parser.add_argument(
        "--folder",
        type=Path,
        help="only this shoot's choices and decisions; relative paths in FILE are tried against it",
    )
    parser.add_argument("--recursive", action="store_true", help="the --folder shoot was ranked with --recursive")
    parser.add_argument(
        "--head-only",
        action="store_true",
        help="adapt only the comparison head, not the Siamese tower (a smaller change)",
    )
    parser.add_argument("--no-activate", action="store_true", help="save the new model but leave the active one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=main)


def _summary(pairs: Sequence[TrainingPair]) -> str:
    from ranker.learning import SOURCE_WEIGHTS, count_sources

    counts = count_sources(pairs)
    order = sorted(counts, key=lambda s: -SOURCE_WEIGHTS[s])
    return ", ".join(f"{counts[s]} {_SOURCE_NAMES.get(s, s)}" for s in order)


def main(args: argparse.Namespace) -> int:
    from ranker.learning import FineTuneConfig, NotEnoughPairs, collect_pairs, fine_tune  # torch: only to learn

    from_catalog = args.from_catalog or args.choices is None
    if args.choices is not None and not args.choices.is_file():
        return fail(f"{args.choices}: no such choices file")
    if args.folder is not None and not args.folder.is_dir():
        return fail(f"{args.folder}: not a folder")
    config = FineTuneConfig(train_tower=not args.head_only, seed=args.seed, activate=not args.no_activate)
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        with open_catalog() as catalog:
            pairs, problems = collect_pairs(
                catalog,
                from_catalog=from_catalog,
                choices_file=args.choices,
                folder=args.folder,
                recursive=args.recursive,
            )
            for problem in problems:
                print(f"skipped {problem}", file=sys.stderr)
            if pairs:
                print(f"Learning from {len(pairs)} pairs: {_summary(pairs)}.")
            try:
                result = run(fine_tune(catalog, pairs, config=config, problems=problems), bar)
            finally:
                bar.close()
    except NotEnoughPairs as exc:
        return fail(str(exc))
    except USER_ERRORS as exc:
        return fail(str(exc))
    for problem in result.problems[len(problems) :]:
        print(f"skipped {problem}", file=sys.stderr)
    print(
        f"Fine-tuned {'the comparison head' if args.head_only else 'the tower and head'} of {result.base} on "
        f"{result.train_pairs} pairs ({result.twins} technical twins keep blur and noise in check) "
        f"in {result.seconds:.1f} s."
    )
    print(
        f"Held-out agreement with {result.held_out} of your choices: before {result.before:.1%}, "
        f"after {result.after:.1%}."
    )
    if result.technical is not None:
        print(
            f"Blur and noise: it still ranks the original first in {result.technical:.0%} of the technical checks "
            "the current model passes."
        )
    if result.activated:
        print(
            f"Activated personal model {result.model_id}. Rankings are recomputed with it the next time a "
            "folder is ranked (`phototriage rank FOLDER`); `phototriage models personal revert` undoes this."
        )
    elif result.passed:
        print(
            f"Personal model {result.model_id} passed the held-out check and was saved, not activated "
            f"(--no-activate); activate it with: phototriage models personal activate {result.model_id}"
        )
    else:
        print(
            f"Personal model {result.model_id} was saved but {result.verdict}. The active model is unchanged"
            + (
                f" (activate it anyway: phototriage models personal activate {result.model_id})."
                if result.model_id
                else "."
            )
        )
    return 0
