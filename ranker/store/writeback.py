"""Live write-back: every decision merge-written to the sidecars beside the originals, off the caller's thread."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError
from ranker.store.readback import ReadBack, remember
from ranker.xmp import XmpError, find_sidecars, sidecar_path, write_sidecar
from ranker.xmp.style import XmpStyle

#: how long the writer waits after the first decision of a batch for more (a held key, an auto cull)
BATCH_DELAY_S = 0.15
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


@dataclass(frozen=True)
class WriteResult:
    photo_id: int
    written: tuple[Path, ...]
    error: str = ""


def targets(paths: tuple[Path, ...], style: XmpStyle) -> list[Path]:
    """Every sidecar that should carry the photo's decision: the library's style, plus any other
    sidecar of the photo already there (so no reader is left with an older decision)."""
    primary = Path(paths[0])
    out = [sidecar_path(primary, style.sidecar)]
    for path in paths:
        for found in find_sidecars(Path(path)):
            if all(found.name.casefold() != o.name.casefold() for o in out):
                out.append(found)
    return out


def write_decision(
    catalog: Catalog | None, photo_id: int, paths: tuple[Path, ...], decision: Decision, style: XmpStyle
) -> list[Path]:
    """Merge `decision` into every sidecar of the photo now (a decision that is empty creates no new
    file); records what was written so read-back does not mistake it for another tool's edit."""
    written = []
    for target in targets(paths, style):
        if decision.is_empty and not os.path.lexists(target):
            continue  # nothing decided and nothing there: nothing to tell other tools
        write_sidecar(paths[0], decision, style=style, target=target)
        written.append(target)
        if catalog is not None:
            try:
                remember(catalog, photo_id, target)
            except (OSError, CatalogError):
                pass  # at worst the next scan re-reads the file and finds our own decision there
    return written


class SidecarWriter:
    """One thread, one queue: the latest decision per photo wins; writes are batched, atomic and merged.

    `paths_of(photo_id)` gives the photo's files (called on the writer thread); `on_message(level, text)`
    reports problems, each folder's read-only state once. Call `close()` (or `flush()`) before exit.
    """

    def __init__(
        self,
        catalog: Catalog | None,
        style: XmpStyle,
        paths_of: Callable[[int], tuple[Path, ...]],
        on_message: Callable[[str, str], None] | None = None,
        enabled_for: Callable[[Path], bool] | None = None,
        delay: float = BATCH_DELAY_S,
    ):
        self.catalog = catalog
        self.style = style
        self._paths_of = paths_of
        self._on_message = on_message or (lambda level, text: None)
        self._enabled_for = enabled_for or (lambda folder: True)
        self._delay = delay
        self._pending: dict[int, Decision] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._warned: set[str] = set()
        self.results: list[WriteResult] = []  # the last batches' outcomes, for tests and reports
        self._thread = threading.Thread(target=self._loop, name="sidecar-writer", daemon=True)
        self._thread.start()

    def submit(self, photo_id: int, decision: Decision) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the sidecar writer is closed")
            self._pending[photo_id] = decision
            self._cond.notify_all()

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything submitted is written; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._cond.notify_all()
            while self._pending or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float | None = 10.0) -> bool:
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
        return done

    # -- writer thread -----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
                self._busy = True
            time.sleep(self._delay)  # gather the rest of a burst of decisions into one batch
            with self._cond:
                batch, self._pending = self._pending, {}
            try:
                for photo_id, decision in batch.items():
                    self.results.append(self._write_one(photo_id, decision))
                del self.results[:-1000]
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write_one(self, photo_id: int, decision: Decision) -> WriteResult:
        try:
            paths = tuple(Path(p) for p in self._paths_of(photo_id))
        except (KeyError, CatalogError) as exc:
            return WriteResult(photo_id, (), f"photo unknown: {exc}")
        if not paths or not self._enabled_for(paths[0].parent):
            return WriteResult(photo_id, ())
        try:
            return WriteResult(photo_id, tuple(write_decision(self.catalog, photo_id, paths, decision, self.style)))
        except XmpError as exc:
            self._warn(
                str(exc.path),
                "warning",
                f"{exc.path}: sidecar left unchanged ({exc.reason}); the decision is kept in the catalog",
            )
            return WriteResult(photo_id, (), exc.reason)
        except OSError as exc:
            folder = str(paths[0].parent)
            if exc.errno in _READ_ONLY:
                self._warn(
                    folder,
                    "warning",
                    f"Sidecars cannot be written in {folder} (read-only); decisions stay in the catalog.",
                )
            else:
                self._warn(
                    folder,
                    "warning",
                    f"Sidecar for {paths[0].name} not written: {exc.strerror or exc}; "
                    "the decision is kept in the catalog.",
                )
            return WriteResult(photo_id, (), exc.strerror or str(exc))
        except Exception as exc:  # noqa: BLE001 - the writer thread must survive any one bad file
            self._warn(str(paths[0]), "error", f"Sidecar for {paths[0]} not written: {exc}")
            return WriteResult(photo_id, (), str(exc))

    def _warn(self, key: str, level: str, text: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self._on_message(level, text)


def write_back(
    catalog: Catalog,
    changes: dict[int, Decision],
    style: XmpStyle,
    on_message: Callable[[str, str], None] | None = None,
    enabled_for: Callable[[Path], bool] | None = None,
) -> list[WriteResult]:
    """Write these decisions now (the CLI's `cull`, read-back conflicts we won) and wait for them."""
    writer = SidecarWriter(catalog, style, lambda pid: catalog.photo(pid).paths, on_message, enabled_for, delay=0)
    try:
        for photo_id, decision in changes.items():
            writer.submit(photo_id, decision)
    finally:
        writer.close(timeout=None)
    return list(writer.results)


def won_here(changes: Iterable[ReadBack]) -> dict[int, Decision]:
    """Read-back conflicts the catalog won: their files still hold the older decision."""
    return {c.photo_id: c.catalog for c in changes if c.kept == "catalog"}
