"""`phototriage rank FOLDER`: every burst ranked, best shot first, with the signals that explain it."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TextIO

from ranker.bursts import GroupingOptions
from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import USER_ERRORS, ProgressBar, cannot_write, fail, open_catalog
from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.culling.shoot_ranking import ShootRanking
from ranker.engines.base import ENGINES, engine_for
from ranker.io.load_errors import printable_path
from ranker.store.catalog import Catalog


def add_shoot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="the shoot folder")
    parser.add_argument("--recursive", action="store_true", help="include sub-folders")
    parser.add_argument("--model", type=Path, help="rank with this checkpoint instead of the active model")
    parser.add_argument(
        "--gap",
        type=float,
        default=GroupingOptions.gap_seconds,
        help="seconds between frames that still count as one burst (default %(default)s)",
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda, mps")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_engine_arguments(parser)


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where photos are decoded and analysed: this process (default) or a Ray cluster",
    )
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="with --engine ray: join this Ray cluster (e.g. ray://head:10001 or head:6379) "
        "instead of starting a local one; every node must see the photos at the same path",
    )


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("rank", help="group a folder into bursts and rank each, best first")
    add_shoot_arguments(parser)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the ranking as JSON ('-' for stdout)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="also write one CSV row per photo")
    parser.set_defaults(func=main)


def rank_from_args(args: argparse.Namespace, catalog: Catalog) -> ShootRanking:
    engine = engine_for(args.engine, args.address)
    options = PipelineOptions(
        recursive=args.recursive, grouping=GroupingOptions(gap_seconds=args.gap), device=args.device, engine=engine
    )
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        return run(rank_shoot(args.folder, catalog, model_path=args.model, options=options), bar)
    finally:
        bar.close()
        if engine is not None:
            engine.close()


def _stars(rating: int) -> str:
    return "★" * rating + "·" * (5 - rating)


def _shown_name(path: Path, root: Path) -> str:
    try:
        return printable_path(path.relative_to(root))
    except ValueError:
        return printable_path(path)


def print_ranking(ranking: ShootRanking, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    model = ranking.model
    print(f"Model: {model.label} — {model.why} [{model.path}]", file=out)
    names = {id(photo): _shown_name(photo.path, ranking.root) for burst in ranking.bursts for photo in burst.photos}
    width = max([32, *(len(name) for name in names.values())])  # long names (sub-folders) keep the columns
    for burst in ranking.bursts:
        lead = f", {burst.confidence}" if burst.confidence and burst.kind == "burst" else ""
        print(
            f"\nBurst {burst.number} ({burst.kind}, {len(burst.photos)} photo{'s' * (len(burst.photos) != 1)}{lead})",
            file=out,
        )
        for photo in burst.photos:
            name = names[id(photo)]
            marker = "best" if photo.rank == 1 and burst.kind == "burst" else ""
            s = photo.signals
            why = (
                f"sharp {s.get('sharpness', 0):.2f}  expo {s.get('exposure', 0):.2f}  "
                f"{s.get('brightness', 0):+.1f} EV  noise {s.get('noise', 0) * 1000:.1f}"
            )
            if s.get("faces"):
                people = int(s["faces"])
                why += f"  faces {people}"
                for key, text in (("eyes_closed", "eyes closed"), ("faces_soft", "face soft")):
                    if s.get(key):
                        why += f"  {text} {int(s[key])}/{people}"
            flag = photo.decision.flag or ""
            label = photo.decision.label or ""
            quality = f"Q{photo.quality:3.0f}" if photo.quality is not None else "    "
            print(
                f"  {photo.rank:>3}  {quality}  {photo.score:+8.3f}  {name:<{width}} {_stars(photo.decision.rating)} "
                f"{flag:<6} {label:<6} {why} {marker}".rstrip(),
                file=out,
            )
    if ranking.errors:
        print(f"\n{len(ranking.errors)} file(s) could not be read:", file=out)
        for error in ranking.errors:
            print(f"  {printable_path(error.path)}: {error.reason}", file=out)
    for notice in ranking.notices:
        print(f"note: {notice}", file=out)
    for line in read_back_lines(ranking):
        print(line, file=out)
    stats = ranking.stats
    if stats:
        print(
            f"\n{stats.get('photos', 0)} photos: {stats.get('decoded', 0)} analysed, "
            f"{stats.get('cached', 0)} from cache.",
            file=out,
        )


def read_back_lines(ranking: ShootRanking) -> list[str]:
    """What the scan took from (or kept against) sidecars other tools changed, and unreadable ones."""
    lines = [f"xmp: {change.describe()}" for change in ranking.stats.get("xmp_changes", ())]
    lines += [f"xmp: {printable_path(path)}: {reason}" for path, reason in ranking.stats.get("xmp_errors", ())]
    return lines


def sync_sidecars(ranking: ShootRanking, catalog: Catalog, folder: Path, enabled: bool = True) -> None:
    """Rewrite the sidecars of read-back conflicts the catalog won (its decision is the newer one)."""
    from ranker.store import preferences
    from ranker.store.writeback import won_here, write_back

    prefs = preferences.load()
    changes = won_here(ranking.stats.get("xmp_changes", ()))
    if enabled and changes and prefs.writes_sidecars_in(folder):
        write_back(catalog, changes, prefs.xmp_style(), lambda level, text: print(f"{level}: {text}", file=sys.stderr))


def write_json(ranking: ShootRanking, path: Path) -> None:
    text = json.dumps(ranking.to_json(), indent=2, ensure_ascii=False)
    if str(path) == "-":
        sys.stdout.write(text + "\n")
    else:
        path.write_text(text + "\n", encoding="utf-8")


def write_csv(ranking: ShootRanking, path: Path) -> None:
    fields = [
        "path",
        "burst",
        "kind",
        "confidence",
        "rank",
        "score",
        "quality",
        "flag",
        "rating",
        "label",
        "sharpness",
        "exposure",
        "brightness",
        "colorfulness",
        "contrast",
        "noise",
        "highlights",
        "shadows",
        "focus_peak",
        "luma_noise",
        "chroma_noise",
        "blocking",
        "faces",
        "eyes_closed",
        "faces_soft",
        "eyes_open",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for burst in ranking.bursts:
            for photo in burst.photos:
                row = photo.to_json()
                writer.writerow(
                    {
                        **row,
                        **row["signals"],
                        "burst": burst.number,
                        "kind": burst.kind,
                        "confidence": burst.confidence or "",
                    }
                )


def main(args: argparse.Namespace) -> int:
    try:
        with open_catalog() as catalog:
            ranking = rank_from_args(args, catalog)
            sync_sidecars(ranking, catalog, args.folder)
    except USER_ERRORS as exc:
        return fail(str(exc))
    to_stdout = args.json is not None and str(args.json) == "-"
    if not to_stdout:
        print_ranking(ranking)
    else:
        for line in read_back_lines(ranking):
            print(line, file=sys.stderr)
    for target, write in ((args.json, write_json), (args.csv, write_csv)):
        if target is not None:
            try:
                write(ranking, target)
            except OSError as exc:
                return cannot_write(target, exc)
    if not ranking.bursts:
        return fail(
            "no photo could be ranked"
            + (" (every file failed to load)" if ranking.errors else f" (no supported photos in {args.folder})")
        )
    return 0
