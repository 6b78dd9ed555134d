"""`phototriage models`: list backbones and their status; download or import weights explicitly."""

from __future__ import annotations

import argparse
from pathlib import Path

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import fail
from ranker.features.registry import all_specs, get_spec
from ranker.features.weights import WeightsVerificationError, download, import_file


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("models", help="list feature models; download or import their weights")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    get = actions.add_parser("download", help="fetch weights into the cache (needs network)")
    get.add_argument("name", nargs="?", help="model name (default: every missing one)")
    imp = actions.add_parser("import", help="install a weights file obtained elsewhere, after checking it")
    imp.add_argument("name")
    imp.add_argument("file", type=Path)
    try:
        from ranker.cli.commands.personal import register_personal
    except ModuleNotFoundError as exc:
        if exc.name != "ranker.cli.commands.personal":
            raise
    else:
        register_personal(actions)
    parser.set_defaults(func=main)


def list_models() -> int:
    specs = all_specs()
    width = max([len("name"), *(len(spec.name) for spec in specs)])
    print(f"{'name':<{width}} {'dim':>5}  {'status':<8} {'size':>8}  licence / location")
    for spec in specs:
        weights = spec.weights
        status = "ready" if spec.is_ready() else "missing"
        size = f"{weights.size_bytes / 1e6:.0f} MB" if weights else "-"
        where = str(weights.path) if weights else "built in (no weights)"
        print(f"{spec.name:<{width}} {spec.dim:>5}  {status:<8} {size:>8}  {spec.licence}; {where}")
        if status == "missing":
            print(f"{'':<{width}}        fix: phototriage models download {spec.name}")
    print("Any pyiqa no-reference metric is also usable as pyiqa:<metric> (download its weights first).")
    return 0


def main(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action is None:
        return list_models()
    if action == "download":
        return _download(args.name)
    if action == "import":
        return _import(args.name, args.file)
    return int(args.personal_func(args))


def _download(name: str | None) -> int:
    try:
        specs = [get_spec(name)] if name else [s for s in all_specs() if not s.is_ready()]
    except KeyError as exc:
        return fail(str(exc.args[0]))
    status = 0
    for spec in specs:
        if spec.is_ready():
            print(f"{spec.name}: already cached")
            continue
        try:
            if spec.name.startswith("pyiqa:"):
                from ranker.features.pyiqa_metric import download_metric

                download_metric(spec.name.split(":", 1)[1])
                print(f"{spec.name}: ready")
            elif spec.weights is not None:
                path = download(spec.weights, validate=spec.validate)
                print(f"{spec.name}: saved to {path}")
        except (ConnectionError, WeightsVerificationError, OSError) as exc:
            status = fail(
                f"{spec.name}: download failed: {exc}. On an offline machine, copy the file from "
                f"{spec.weights.url if spec.weights else 'pyiqa'} and run "
                f"`phototriage models import {spec.name} FILE`."
            )
    return status


def _import(name: str, file: Path) -> int:
    try:
        spec = get_spec(name)
    except KeyError as exc:
        return fail(str(exc.args[0]))
    if spec.weights is None:
        return fail(f"{name} has no weights file to import")
    try:
        path = import_file(spec.weights, file, validate=spec.validate)
    except (WeightsVerificationError, FileNotFoundError) as exc:
        return fail(str(exc))
    print(f"{name}: installed {file} as {path}")
    return 0
