"""Decoders' warnings naming the photo being decoded, caught and re-issued under one process-wide lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# warnings.catch_warnings swaps the process-wide filter list; serialising our own uses keeps
# the decode pool's threads from restoring each other's filters. Held only while parsing headers.
WARNINGS_LOCK = threading.Lock()

#: The file each decoding thread is reading, so warnings can name it.
_CURRENT = threading.local()


@contextmanager
def decoding(path: Path) -> Iterator[None]:
    """While the block runs, this thread's warnings name `path` (current_file)."""
    _CURRENT.path = path
    try:
        yield
    finally:
        _CURRENT.path = None


def current_file() -> Path | None:
    """The file this thread is decoding, or None outside decoding()."""
    return getattr(_CURRENT, "path", None)
