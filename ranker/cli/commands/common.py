"""What the subcommands share: opening the catalog, progress bars, user-facing errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ranker.errors import CheckpointError, ModelMissingError, UsageError
from ranker.progress import Progress
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError

#: errors that are the user's to fix: print the message, no traceback (anything else is a bug: ranker.cli.main logs it)
USER_ERRORS = (CatalogError, CheckpointError, ModelMissingError, NotADirectoryError, FileNotFoundError, UsageError)


class ProgressBar:
    """tqdm on stderr, one bar per stage, fed by pipeline Progress records."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._bar: Any = None  # a tqdm bar (tqdm is untyped)
        self._stage: str | None = None

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self._bar is None or progress.stage != self._stage:
            self.close()
            self._stage = progress.stage
            self._bar = tqdm(total=progress.total, desc=progress.stage, unit="photo", file=sys.stderr, leave=False)
        self._bar.total = progress.total
        self._bar.n = progress.done
        self._bar.set_postfix_str(progress.message, refresh=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def open_catalog() -> Iterator[Catalog]:
    catalog = Catalog()
    for notice in catalog.notices:
        print(f"note: {notice}", file=sys.stderr)
    try:
        yield catalog
    finally:
        catalog.close()


def fail(message: str, code: int = 1) -> int:
    print(f"phototriage: {message}", file=sys.stderr)
    return code


def cannot_write(path: Path, exc: OSError) -> int:
    """An output file the user named could not be written: say which, and why (not the temp file's name)."""
    return fail(f"cannot write {path}: {exc.strerror or exc}")
