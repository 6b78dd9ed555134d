"""`phototriage [FOLDER]` opens the app; `phototriage <subcommand> ...` runs headless without importing Qt."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from ranker.blas_threads import limit_blas_threads

    limit_blas_threads()  # before anything imports NumPy
    argv = list(sys.argv[1:] if argv is None else argv)
    from ranker.cli.main import COMMANDS

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        from ranker.cli.main import main as cli_main

        return cli_main(argv)
    from phototriage_gui.app import run_app  # Qt is imported only on this path

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
