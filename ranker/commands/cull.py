"""`phototriage cull FOLDER`: the automatic first pass — pick the best of each burst, optionally reject the rest."""
from __future__ import annotations

from ranker.commands.common import USER_ERRORS, fail, open_catalog
from ranker.commands.rank import add_shoot_arguments, rank_from_args
from ranker.culling import auto_cull


def register(sub) -> None:
    parser = sub.add_parser("cull", help="mark the top N of each burst as picks (never overriding your decisions)")
    add_shoot_arguments(parser)
    parser.add_argument("--keep", type=int, default=1, help="picks per burst (default %(default)s)")
    parser.add_argument("--reject-rest", action="store_true", help="mark the other frames of each burst as rejects")
    parser.set_defaults(func=main)


def main(args) -> int:
    if args.keep < 1:
        return fail("--keep must be at least 1")
    try:
        with open_catalog() as catalog:
            ranking = rank_from_args(args, catalog)
            summary = auto_cull(catalog, ranking, keep=args.keep, reject_rest=args.reject_rest)
    except USER_ERRORS as exc:
        return fail(str(exc))
    print(f"Model: {ranking.model['label']} — {ranking.model['why']}")
    print(summary.describe())
    for error in ranking.errors:
        print(f"  could not read {error.path}: {error.reason}")
    return 0 if ranking.bursts else fail("no photo could be ranked")
