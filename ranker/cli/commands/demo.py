"""`phototriage demo DEST`: write a demo shoot of bursts built from scikit-image's bundled photographs."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import fail
from ranker.datasets.synthetic import iter_sources, write_shoot


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("demo", help="write a demo shoot (bursts with known best frames) to DEST")
    parser.add_argument("dest", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--level", choices=("clear", "subtle"), default="clear")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.dest.exists() and any(args.dest.iterdir()):
        return fail(f"{args.dest}: folder exists and is not empty; choose a new folder")
    rng = np.random.default_rng(args.seed)
    sources = list(iter_sources())
    truth = write_shoot(args.dest, sources, rng, level=args.level, frames=5, brackets=1)
    files = sum(len(b["files"]) for b in truth)
    print(f"Wrote {files} photos in {len(truth)} bursts to {args.dest} (one exposure bracket).")
    print(f"Open it: phototriage {args.dest}   or rank it: phototriage rank {args.dest}")
    return 0
