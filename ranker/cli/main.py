"""Headless command line: `phototriage <subcommand>` and `python -m ranker <subcommand>` (never imports Qt).

Only the command being run is imported (`ranker.cli.commands.<name>`, whose register() defines its
arguments): `phototriage --help` lists every command from the table below without importing any of
them, so it never pays for numpy, the catalog or torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

#: every subcommand and its one-line help; each is a module under ranker/cli/commands with register(subparsers)
#: and a main(args) that register() sets as `func` (tests/ranker/cli/test_cli.py holds the help texts equal)
COMMAND_HELP: dict[str, str] = {
    "rank": "group a folder into bursts and rank each, best first",
    "cull": "mark the top N of each burst as picks (never overriding your decisions)",
    "demo": "write a demo shoot (bursts with known best frames) to DEST",
    "models": "list feature models; download or import their weights",
    "train": "train the Siamese ranker on the PhotoTriage dataset",
    "learn": "fine-tune a personal model on your choices (activated only if it agrees with you more)",
    "export": "copy/move/link the ranked selects with XMP sidecars",
    "install-desktop": "add PhotoTriage to the desktop's application menu (Linux, freedesktop.org)",
}
COMMANDS = tuple(COMMAND_HELP)
DESCRIPTION = "Offline photo culling: group bursts, rank them with a Siamese network, cull, export."


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"ranker.cli.commands.{name.replace('-', '_')}")


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the full arguments of `commands` (default: all) and a help line for the rest."""
    selected = COMMANDS if commands is None else tuple(commands)
    parser = argparse.ArgumentParser(prog="phototriage", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMAND_HELP.items():
        if name in selected:
            command_module(name).register(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand argv names: its first argument that is not an option (the top level takes none)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMAND_HELP else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_in(argv)
    parser = build_parser([command] if command else [])
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from ranker.logs import log_unexpected, setup_logging

    setup_logging(f"phototriage {command}")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a message plus a logged traceback
        print(f"phototriage: {log_unexpected(f'phototriage {command}', exc)}", file=sys.stderr)
        return 1
