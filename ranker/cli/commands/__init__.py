"""One module per CLI subcommand; each exposes register(subparsers)."""

from __future__ import annotations

import argparse
from typing import TypeAlias

#: what each command's register() receives: the `phototriage` parser's subcommands
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
