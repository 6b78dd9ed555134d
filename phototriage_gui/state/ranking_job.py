"""RankingJob: the open shoot's ranking running in the jobs pool (the one owner of torch), cancellable."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from phototriage_gui.workers import Pool, Worker
from ranker.store import preferences
from ranker.store.catalog import Catalog

if TYPE_CHECKING:
    from collections.abc import Generator

    from ranker.culling.shoot_ranking import ShootRanking
    from ranker.progress import Progress


class RankingJob(QObject):
    """At most one ranking runs; starting another cancels it, and a superseded run's outcome is dropped."""

    started = Signal(object)  # the Worker, for the status bar's progress and Cancel
    ranked = Signal(object)  # ShootRanking
    failed = Signal(object)  # the exception
    cancelled = Signal()

    def __init__(self, pool: Pool, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool  # one thread: it owns the torch model and device
        self.latest: ShootRanking | None = None  # the last ranking that arrived for the open shoot
        self._worker: Worker | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.running

    def start(self, root: Path, catalog: Catalog, prefs: preferences.Preferences) -> None:
        self.cancel()

        def job(cancel: threading.Event) -> Generator[Progress, None, ShootRanking]:
            from ranker.bursts import GroupingOptions
            from ranker.culling.pipeline import PipelineOptions, rank_shoot  # imports torch: off the UI thread

            options = PipelineOptions(
                recursive=prefs.recursive,
                device=prefs.device,
                grouping=GroupingOptions(gap_seconds=prefs.burst_gap_seconds),
                blink_strictness=prefs.blink_strictness,
            )
            return rank_shoot(root, catalog, options=options, cancel=cancel)

        worker = Worker(job, self)
        self._worker = worker
        worker.result.connect(lambda ranking, w=worker: self._ranked(w, ranking))
        worker.error.connect(lambda exc, w=worker: self._failed(w, exc))
        worker.cancelled.connect(lambda w=worker: self._cancelled(w))
        worker.finished.connect(lambda w=worker: self._finished(w))
        self.started.emit(worker)
        worker.start(self.pool)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    def forget(self) -> None:
        """Another shoot opened: its ranking is still to come."""
        self.cancel()
        self.latest = None

    def _ranked(self, worker: Worker, ranking: ShootRanking) -> None:
        if worker is not self._worker:
            return  # a cancelled or superseded run
        self._worker = None
        self.latest = ranking
        self.ranked.emit(ranking)

    def _failed(self, worker: Worker, exc: Exception) -> None:
        if worker is self._worker:
            self._worker = None
            self.failed.emit(exc)

    def _cancelled(self, worker: Worker) -> None:
        if worker is self._worker:  # the user's Cancel; a run superseded by another says nothing
            self.cancelled.emit()

    def _finished(self, worker: Worker) -> None:
        if worker is self._worker:
            self._worker = None
        worker.deleteLater()
