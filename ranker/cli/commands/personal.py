"""`phototriage models personal list|activate ID|revert|export FILE|import FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import fail
from ranker.ml import personal_models
from ranker.ml.checkpoint import CheckpointError


def register_personal(actions: Subparsers) -> None:
    """Add `personal` to the `models` subcommand's actions (called by ranker.cli.commands.models)."""
    parser = actions.add_parser(
        "personal", help="your personal models (from `phototriage learn`): list, activate, revert, export, import"
    )
    sub = parser.add_subparsers(dest="personal_action", metavar="ACTION")
    sub.add_parser("list", help="every personal model, the active one marked (the default action)")
    activate = sub.add_parser("activate", help="rank with this personal model")
    activate.add_argument("id", help="v1, v2, ... (or just the number)")
    sub.add_parser("revert", help="rank with the shipped default model again (personal models are kept)")
    export = sub.add_parser("export", help="copy a personal model to a file")
    export.add_argument("file", type=Path)
    export.add_argument("--id", help="which one (default: the active one)")
    imp = sub.add_parser("import", help="add a model file exported elsewhere, after checking it")
    imp.add_argument("file", type=Path)
    imp.add_argument("--activate", action="store_true", help="and rank with it")
    parser.set_defaults(personal_func=main)


def _list() -> int:
    models = personal_models.list_models()
    if not models:
        print(
            "No personal models yet: make some choices in the compare view (or write a choices file) and run "
            "`phototriage learn`."
        )
        return 0
    for model in models:
        print(f"{'*' if model.active else ' '} {model.id:<5} {model.describe()}")
    if not any(m.active for m in models):
        print("No personal model is active: ranking uses the shipped default.")
    return 0


def main(args: argparse.Namespace) -> int:
    action = getattr(args, "personal_action", None) or "list"
    try:
        if action == "list":
            return _list()
        if action == "activate":
            model = personal_models.activate(args.id)
            print(f"Activated personal model {model.id}; folders are re-scored with it the next time they are ranked.")
        elif action == "revert":
            previous = personal_models.revert()
            print(f"Reverted to the default model{f' (personal model {previous} is kept)' if previous else ''}.")
        elif action == "export":
            dest = personal_models.export(args.file, args.id)
            print(f"Exported to {dest}.")
        elif action == "import":
            model = personal_models.import_model(args.file, activate_it=args.activate)
            print(
                f"Imported {args.file} as personal model {model.id}"
                + (
                    " and activated it."
                    if model.active
                    else f"; activate it with `phototriage models personal activate {model.id}`."
                )
            )
    except (personal_models.PersonalModelError, CheckpointError, FileNotFoundError) as exc:
        return fail(str(exc))
    return 0
