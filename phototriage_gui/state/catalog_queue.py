"""The one serialized catalog thread of the GUI: every read and write of the catalog runs there, in order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from phototriage_gui.workers import Pool, Worker
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError

T = TypeVar("T")


class CatalogQueue(QObject):
    """Runs `job(catalog)` on `pool` (one thread, so jobs run in submission order and their results arrive
    on the main thread in that order too). A job whose exception has no `on_error` ends in `failed`."""

    failed = Signal(object)  # the exception of a job that had no on_error

    def __init__(self, catalog: Catalog | None, pool: Pool, parent: QObject | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.pool = pool
        self._pending = 0
        self._opening = False  # open() is running: jobs submitted meanwhile wait for it on the thread

    @property
    def idle(self) -> bool:
        """No job is queued or running (tests and the window's close wait for this)."""
        return self._pending == 0

    def submit(
        self,
        job: Callable[[Catalog], T],
        on_result: Callable[[T], object] | None = None,
        on_error: Callable[[Exception], object] | None = None,
    ) -> bool:
        """False (and nothing runs) when there is no catalog and none is being opened."""
        if self.catalog is None and not self._opening:
            return False

        def run(_cancel: threading.Event) -> T:
            catalog = self.catalog  # read on the thread: an open() queued before this job has set it
            if catalog is None:
                raise CatalogError("the catalog could not be opened, so nothing can be read or saved")
            return job(catalog)

        worker = Worker(run, self)
        if on_result is not None:
            worker.result.connect(on_result)
        worker.error.connect(on_error if on_error is not None else self.failed.emit)
        worker.finished.connect(lambda w=worker: self._done(w))
        self._pending += 1
        worker.start(self.pool)
        return True

    def after_queued(self, callback: Callable[[], object]) -> None:
        """Call `callback` (on this thread) once every job submitted so far has run: a job elsewhere that reads
        the catalog (an export, learning) then sees every decision and choice the user has made."""
        if not self.submit(lambda _catalog: None, lambda _: callback(), lambda _exc: callback()):
            callback()

    def open(
        self,
        factory: Callable[[], Catalog],
        on_result: Callable[[Catalog], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Open the catalog on its thread (opening may migrate it); jobs submitted meanwhile run after it."""
        self._opening = True

        def run(_cancel: threading.Event) -> Catalog:
            self.catalog = factory()
            return self.catalog

        def opened(catalog: Catalog) -> None:
            self._opening = False
            on_result(catalog)

        def failed(exc: Exception) -> None:
            self._opening = False
            on_error(exc)

        worker = Worker(run, self)
        worker.result.connect(opened)
        worker.error.connect(failed)
        worker.finished.connect(lambda w=worker: self._done(w))
        self._pending += 1
        worker.start(self.pool)

    def close(self, wait_ms: int) -> bool:
        """Close the catalog on its thread, after every job submitted so far, waiting at most `wait_ms` for it:
        closing checkpoints the WAL (file work, slow on a busy disk) and the UI thread must not block on it
        unbounded. False when the wait ran out; the close still runs there once the jobs before it are done."""

        def close(catalog: Catalog) -> None:
            self.catalog = None  # on the thread: every job queued before this one has read it
            catalog.close()

        if not self.submit(close):
            return True  # no catalog, none being opened: nothing to close
        return self.pool.waitForDone(wait_ms)

    def _done(self, worker: Any) -> None:
        self._pending -= 1
        worker.deleteLater()
