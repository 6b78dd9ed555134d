"""`phototriage cull FOLDER`: the automatic first pass — pick the best of each burst, optionally reject the rest."""

from __future__ import annotations

import argparse
import sys

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import USER_ERRORS, fail, open_catalog
from ranker.cli.commands.rank import add_shoot_arguments, rank_from_args, read_back_lines, sync_sidecars
from ranker.culling.auto import auto_cull
from ranker.store import preferences
from ranker.store.writeback import write_back


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("cull", help="mark the top N of each burst as picks (never overriding your decisions)")
    add_shoot_arguments(parser)
    parser.add_argument("--keep", type=int, default=1, help="picks per burst (default %(default)s)")
    parser.add_argument("--reject-rest", action="store_true", help="mark the other frames of each burst as rejects")
    parser.add_argument(
        "--no-sidecars",
        action="store_true",
        help="keep the decisions in the catalog only (default: merged into the sidecars beside the "
        "originals, unless turned off in the preferences)",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    if args.keep < 1:
        return fail("--keep must be at least 1")
    try:
        with open_catalog() as catalog:
            ranking = rank_from_args(args, catalog)
            sync_sidecars(ranking, catalog, args.folder, enabled=not args.no_sidecars)
            summary = auto_cull(catalog, ranking, keep=args.keep, reject_rest=args.reject_rest)
            before = {p.photo_id: p.decision for b in ranking.bursts for p in b.photos}
            changed = {pid: d for pid, d in catalog.decisions(before).items() if d != before[pid]}
            prefs = preferences.load()
            written = 0
            if changed and not args.no_sidecars and prefs.writes_sidecars_in(args.folder):
                results = write_back(
                    catalog, changed, prefs.xmp_style(), lambda level, text: print(f"{level}: {text}", file=sys.stderr)
                )
                written = sum(1 for r in results if r.written)
    except USER_ERRORS as exc:
        return fail(str(exc))
    print(f"Model: {ranking.model.label} — {ranking.model.why}")
    for line in read_back_lines(ranking):
        print(line)
    print(summary.describe())
    if written:
        print(f"Sidecars updated beside the originals for {written} photo(s) ({prefs.sidecar_style} style).")
    for error in ranking.errors:
        print(f"  could not read {error.path}: {error.reason}")
    return 0 if ranking.bursts else fail("no photo could be ranked")
