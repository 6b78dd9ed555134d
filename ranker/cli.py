"""Headless command line: `phototriage <subcommand>` and `python -m ranker <subcommand>` (never imports Qt)."""
from __future__ import annotations

import argparse
import importlib
import sys

#: one module per subcommand under ranker/commands, each with register(subparsers)
COMMANDS = ("rank", "cull", "demo", "models", "train", "learn", "export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phototriage", description="Offline photo culling: group bursts, "
                                     "rank them with a Siamese network, cull, export.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ranker.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ranker.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
