"""The status bar's job progress: what runs, how far, roughly how long is left, and Cancel."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from phototriage_gui.formatting import time_left
from phototriage_gui.workers import Worker
from ranker.progress import Progress, Stage

#: every stage the ranker's generators yield (tests/gui/test_workers.py checks none is missing)
STAGES = {
    Stage.LIST: "Listing photos",
    Stage.SCAN: "Analysing photos",
    Stage.RANK: "Grouping and ranking",
    Stage.LEARN: "Learning",
    Stage.DOWNLOAD: "Downloading",
    Stage.EXPORT: "Exporting",
}


class JobProgress(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(False)
        self.eta = QLabel(self)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.bar, self.eta, self.cancel):
            layout.addWidget(widget)
        self._worker: Worker | None = None
        self._stage = ""
        self._stage_start = 0.0
        self.cancel.clicked.connect(self._cancel)
        self.hide()

    def attach(self, worker: Worker, title: str) -> None:
        self._worker = worker
        self._stage, self._stage_start = "", time.monotonic()
        self.label.setText(title)
        self.bar.setRange(0, 0)  # busy until the first progress says how much there is
        self.eta.setText("")
        worker.progress.connect(self.update_progress)
        worker.finished.connect(lambda w=worker: self._finished(w))
        self.show()

    def update_progress(self, progress: Progress) -> None:
        if progress.stage != self._stage:
            self._stage, self._stage_start = progress.stage, time.monotonic()
        self.label.setText(f"{STAGES.get(progress.stage, progress.stage.title())}: {progress.message}")
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        self.eta.setText(time_left(time.monotonic() - self._stage_start, progress.fraction))

    def _cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.label.setText("Cancelling…")

    def _finished(self, worker: Worker) -> None:
        if worker is self._worker:
            self._worker = None
            self.hide()
