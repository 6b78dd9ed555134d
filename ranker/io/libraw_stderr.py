"""LibRaw's own messages, printed from C to file descriptor 2, caught and re-issued as warnings naming the file."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

#: LibRaw's data-error callback (libraw_datastream / default_data_callback) prints exactly these.
_LINE = re.compile(rb"^(?P<name>.+): (?P<what>Unexpected end of file|data corrupted at -?\d+)\r?$")
#: What it prints for a buffer it was handed instead of a name.
UNKNOWN_FILE = "unknown file"
#: What one capture window keeps: a damaged file can make LibRaw print a line per corrupt block.
_MAX_CAPTURE = 1024 * 1024
_MAX_LINES_PER_FILE = 5


class LibRawWarning(UserWarning):
    """A LibRaw data warning ("Unexpected end of file", "data corrupted at N"), with the real file name."""


class _Capture:
    """fd 2 points at an unlinked temp file while any LibRaw call runs (decode threads overlap, so
    the window is reference-counted). When the last call of a window ends, fd 2 is restored, lines
    LibRaw printed under a name we gave it become LibRawWarnings naming the real file, and every
    other byte (another thread's output) goes to the real stderr as it was, only later."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved = -1
        self._file = -1
        self._names: dict[str, Path] = {}

    @contextlib.contextmanager
    def around(self, libraw_name: str, path: Path, emit: Callable[[list[tuple[Path, str]]], None]) -> Iterator[None]:
        started = self._enter(libraw_name, path)
        try:
            yield
        except BaseException:
            if started:
                with contextlib.suppress(Exception):  # warnings as errors must not hide LibRaw's own error
                    emit(self._leave())
            raise
        if started:
            emit(self._leave())

    def _enter(self, libraw_name: str, path: Path) -> bool:
        with self._lock:
            if self._active == 0:
                try:
                    self._open()
                except OSError:
                    return False  # no spare descriptor: LibRaw prints to the terminal as before
            self._active += 1
            self._names[libraw_name] = path
            return True

    def _open(self) -> None:
        import sys

        with contextlib.suppress(Exception):
            sys.stderr.flush()  # what Python already wrote goes out before the switch
        capture = tempfile.TemporaryFile()
        try:
            saved = os.dup(2)
            try:
                os.dup2(capture.fileno(), 2)
            except OSError:
                os.close(saved)
                raise
            self._file = os.dup(capture.fileno())
        finally:
            capture.close()
        self._saved = saved

    def _leave(self) -> list[tuple[Path, str]]:
        import sys

        with self._lock:
            self._active -= 1
            if self._active:
                return []
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(self._saved, 2)
            os.close(self._saved)
            try:
                size = os.lseek(self._file, 0, os.SEEK_END)
                os.lseek(self._file, 0, os.SEEK_SET)
                data = os.read(self._file, min(size, _MAX_CAPTURE))
            finally:
                os.close(self._file)
            names, self._names = self._names, {}
            messages, passed = _sort(data, names)
            if size > _MAX_CAPTURE:
                passed += (
                    f"[{size - _MAX_CAPTURE:,} more bytes written to stderr by LibRaw calls were dropped]\n".encode()
                )
            if passed:
                with contextlib.suppress(OSError):
                    os.write(2, passed)
            return messages


def _sort(data: bytes, names: dict[str, Path]) -> tuple[list[tuple[Path, str]], bytes]:
    """(LibRaw's messages as (real file, text), the rest of `data` untouched)."""
    messages: list[tuple[Path, str]] = []
    per_file: dict[Path, int] = {}
    passed = []
    for line in data.splitlines(keepends=True):
        m = _LINE.match(line.rstrip(b"\n"))
        real = names.get(os.fsdecode(m.group("name"))) if m else None
        if m is None or real is None:
            passed.append(line)
            continue
        per_file[real] = per_file.get(real, 0) + 1
        if per_file[real] <= _MAX_LINES_PER_FILE:
            messages.append((real, m.group("what").decode("ascii")))
    for real, count in per_file.items():
        if count > _MAX_LINES_PER_FILE:
            messages.append((real, f"{count - _MAX_LINES_PER_FILE} more messages like these"))
    return messages, b"".join(passed)


_CAPTURE = _Capture()


def libraw_messages(
    libraw_name: str, path: Path, emit: Callable[[list[tuple[Path, str]]], None]
) -> contextlib.AbstractContextManager[None]:
    """Context manager around a LibRaw call on `path`, which LibRaw knows as `libraw_name`: when the
    capture window closes, `emit` gets LibRaw's messages as (real file, text) pairs."""
    return _CAPTURE.around(libraw_name, path, emit)
