"""The one adapter from ranker generators (and plain calls) to Qt signals, with main-thread progress coalescing."""

from __future__ import annotations

import collections
import inspect
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from ranker.progress import Cancelled, Progress

#: main-thread time one batch of progress may take before yielding to painting (Picard's batch budget)
BUDGET_S = 0.050


class Pool(Protocol):
    """A QThreadPool, or anything that runs a QRunnable the same way (tests pass SyncPool)."""

    def start(self, runnable: QRunnable, priority: int = 0) -> None: ...

    def waitForDone(self, msecs: int = -1) -> bool: ...


class _Runnable(QRunnable):
    def __init__(self, target: Callable[[], None]):
        super().__init__()
        self.setAutoDelete(False)  # Python owns it (the Worker keeps a reference until done)
        self._target = target

    def run(self) -> None:
        self._target()


class Worker(QObject):
    """Runs `job(cancel)` in a pool. If it returns a generator, every Progress it yields reaches the UI
    (coalesced: only the latest plain Progress of a batch, every Progress that carries an item) and the
    generator's return value is the result; otherwise the return value is the result.

    Nothing in the job may touch a Qt object: it talks to the UI through these signals only.
    """

    progress = Signal(object)  # Progress
    result = Signal(object)
    error = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # after result, error or cancelled

    _wake = Signal()
    _done = Signal(str, object)

    def __init__(self, job: Callable[[threading.Event], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._job = job
        self.cancel_event = threading.Event()
        self._queue: collections.deque[Progress] = collections.deque()
        self._lock = threading.Lock()
        self._wake_pending = False
        self._runnable = _Runnable(self._run)
        self.running = False
        self._wake.connect(self._drain)
        self._done.connect(self._finish)

    def start(self, pool: Pool) -> Worker:
        """`pool` is a QThreadPool or anything with start(runnable) (tests pass a synchronous one)."""
        self.running = True
        pool.start(self._runnable)
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    # -- worker thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            value = self._job(self.cancel_event)
            if inspect.isgenerator(value):
                value = self._drive(value)
        except Cancelled:
            self._done.emit("cancelled", None)
        except Exception as exc:  # noqa: BLE001 - every failure reaches the UI; none may die silently in a pool
            self._done.emit("error", exc)
        else:
            self._done.emit("result", value)

    def _drive(self, generator: Generator[Any, Any, Any]) -> Any:
        while True:
            if self.cancel_event.is_set():
                generator.close()
                raise Cancelled()
            try:
                item = next(generator)
            except StopIteration as stop:
                return stop.value
            with self._lock:
                self._queue.append(item)
                wake = not self._wake_pending
                self._wake_pending = True
            if wake:  # one queued signal per batch, never one per photo
                self._wake.emit()

    # -- main thread ------------------------------------------------------------------------
    @Slot()
    def _drain(self, budget: float | None = BUDGET_S) -> None:
        deadline = None if budget is None else time.monotonic() + budget
        latest = None
        while True:
            with self._lock:
                if not self._queue:
                    self._wake_pending = False
                    break
                item = self._queue.popleft()
            if getattr(item, "item", None) is not None:
                latest = None
                self.progress.emit(item)
            else:
                latest = item
            if deadline is not None and time.monotonic() > deadline:
                QTimer.singleShot(0, self._drain)  # let the window repaint, then continue
                break
        if latest is not None:
            self.progress.emit(latest)

    @Slot(str, object)
    def _finish(self, kind: str, value: object) -> None:
        self._drain(budget=None)  # every progress before the outcome, in order
        self.running = False
        if kind == "result":
            self.result.emit(value)
        elif kind == "error":
            self.error.emit(value)
        else:
            self.cancelled.emit()
        self.finished.emit()


class SyncPool:
    """Runs each runnable at once on the calling thread (Picard's FakeThreadPool): deterministic tests."""

    def start(self, runnable: QRunnable, priority: int = 0) -> None:
        runnable.run()

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


def make_pool(threads: int) -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(threads)
    return pool
