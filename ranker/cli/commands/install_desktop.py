"""`phototriage install-desktop [--uninstall]`: the application-menu entry and icon for this user (Linux)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ranker.cli.commands import Subparsers
from ranker.cli.commands.common import fail


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "install-desktop",
        help="add PhotoTriage to the desktop's application menu (Linux, freedesktop.org)",
        description="Write phototriage.desktop to $XDG_DATA_HOME/applications and the icon "
        "to $XDG_DATA_HOME/icons/hicolor/scalable/apps (~/.local/share by default).",
    )
    parser.add_argument("--uninstall", action="store_true", help="remove the entry and icon again")
    parser.add_argument("--data-home", type=Path, metavar="DIR", help="instead of $XDG_DATA_HOME")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ranker.cli import desktop

    try:
        if args.uninstall:
            removed = desktop.uninstall(args.data_home)
            print("\n".join(f"removed {path}" for path in removed) or "nothing to remove")
            return 0
        files = desktop.install(args.data_home)
    except OSError as exc:
        return fail(f"cannot write the desktop entry: {exc}")
    print(f"menu entry: {files.entry}\nicon: {files.icon}")
    print("PhotoTriage is in the application menu (some desktops show it after logging in again).")
    return 0
