"""`phototriage export FOLDER --to DEST`: copy, move or link the selects with XMP sidecars; nothing is ever lost."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import USER_ERRORS, ProgressBar, cannot_write, fail, open_catalog
from ranker.cli.commands.rank import add_shoot_arguments, rank_from_args, read_back_lines, sync_sidecars
from ranker.culling.pipeline import run
from ranker.export import ExportItem, plan_export, run_export, write_report
from ranker.export.selection import select
from ranker.store import preferences
from ranker.xmp import SIDECAR_STYLES, XmpError


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("export", help="copy/move/link the ranked selects with XMP sidecars")
    add_shoot_arguments(parser)
    parser.add_argument("--to", dest="dest", type=Path, help="destination folder")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--copy", dest="mode", action="store_const", const="copy", help="copy (default)")
    mode.add_argument(
        "--move",
        dest="mode",
        action="store_const",
        const="move",
        help="move: each source is deleted only after its copy is verified",
    )
    mode.add_argument(
        "--link", dest="mode", action="store_const", const="link", help="hard link (symlink across disks)"
    )
    which = parser.add_argument_group("which photos (combine freely; rejects are never exported)")
    which.add_argument("--picks", action="store_true", help="only photos flagged as picks")
    which.add_argument("--min-rating", type=int, metavar="N", help="only photos rated N stars or more")
    which.add_argument("--top", type=int, metavar="K", help="only the K best of each burst")
    parser.add_argument(
        "--on-collision",
        choices=("suffix", "skip"),
        default="suffix",
        help="a name already taken at the destination: numbered suffix (default) or skip",
    )
    parser.add_argument(
        "--sidecar-style",
        choices=SIDECAR_STYLES,
        default=None,
        help="IMG_1.xmp (adobe: Lightroom, Capture One, Bridge, Photo Mechanic) or IMG_1.CR2.xmp "
        "(darktable, digikam); default: the library's preference",
    )
    parser.add_argument(
        "--no-embed",
        action="store_true",
        help="JPEG copies stay byte copies (default: they carry the decision in their own XMP)",
    )
    parser.add_argument("--no-sidecars", action="store_true", help="do not write XMP sidecars with the decisions")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, touch nothing")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.csv|FILE.json",
        help="write the ranked selection as CSV or JSON (alone, or with the export)",
    )
    parser.set_defaults(func=main, mode="copy")


def main(args: argparse.Namespace) -> int:
    if args.dest is None and args.report is None:
        return fail("nothing to do: give --to DEST, --report FILE, or both")
    try:
        with open_catalog() as catalog:
            ranking = rank_from_args(args, catalog)  # imports what other tools changed since the last scan
            sync_sidecars(ranking, catalog, args.folder)
        for line in read_back_lines(ranking):
            print(line, file=sys.stderr)
        items = select(ranking, picks=args.picks, min_rating=args.min_rating, top=args.top)
        for error in ranking.errors:
            print(f"skipped unreadable {error.path}: {error.reason}", file=sys.stderr)
        if not items:
            return fail("no photo matches the selection (picks/rating/top); nothing exported")
        if args.dest is None:
            return _report(items, args.report)
        plan = plan_export(
            items,
            args.dest,
            mode=args.mode,
            on_collision=args.on_collision,
            write_sidecars=not args.no_sidecars,
            sidecar_style=args.sidecar_style,
            xmp_style=preferences.load().xmp_style(),
            embed_xmp=not args.no_embed,
        )
        if args.dry_run:
            print(plan.describe())
            return _report(items, args.report)
        bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
        try:
            report = run(run_export(plan), bar)
        finally:
            bar.close()
    except (*USER_ERRORS, XmpError, OSError) as exc:
        return fail(str(exc))
    print(report.summary())
    if _report(items, args.report, report.placed):  # after the export: each row says where its photo went
        return 1
    return 0 if report.ok else 1


def _report(items: Sequence[ExportItem], path: Path | None, placed: Mapping[Path, Path] | None = None) -> int:
    """Write the selects' report when one was asked for; the exit status."""
    if path is None:
        return 0
    try:
        write_report(items, path, placed)
    except OSError as exc:
        return cannot_write(path, exc)
    print(f"report: {len(items)} photos → {path}")
    return 0
