"""File ▸ Export: copy, move or link the selects with their sidecars, with progress; the window stays live."""

from __future__ import annotations

import threading
from collections.abc import Generator
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from phototriage_gui.session import Session
from phototriage_gui.workers import Pool, Worker
from ranker.export import MODES
from ranker.export.job import ExportOutcome, ExportRequest
from ranker.progress import Progress
from ranker.xmp.style import SIDECAR_STYLES, XmpStyle

_MODE_TEXT = {
    "copy": "Copy (originals stay)",
    "move": "Move (each original removed once its copy is verified)",
    "link": "Link (hard link; symbolic across disks)",
}
_STYLE_TEXT = {
    "adobe": "adobe: IMG.xmp (Lightroom, Capture One, Bridge, Photo Mechanic)",
    "darktable": "darktable: IMG.CR2.xmp",
    "digikam": "digikam: IMG.CR2.xmp",
}


class ExportDialog(QDialog):
    finishedExport = Signal(object)  # ExportOutcome

    def __init__(self, session: Session, pool: Pool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export Selects")
        self.session, self.pool = session, pool
        self.worker: Worker | None = None
        self.outcome: ExportOutcome | None = None
        style = session.prefs.xmp_style()
        root = session.shoot.root if session.shoot else Path.home()
        self.dest = QLineEdit(str(Path(root).parent / f"{Path(root).name} selects"), self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.dest, 1)
        where.addWidget(browse)
        self.mode = QComboBox(self)
        for mode in MODES:
            self.mode.addItem(_MODE_TEXT[mode], mode)
        self.picks = QCheckBox("Picks only", self)
        self.picks.setChecked(True)
        self.min_rating = QSpinBox(self)
        self.min_rating.setRange(0, 5)
        self.min_rating.setSpecialValueText("any")
        self.min_rating.setSuffix(" ★ or more")
        self.top = QSpinBox(self)
        self.top.setRange(0, 99)
        self.top.setSpecialValueText("all")
        self.top.setPrefix("best ")
        self.sidecar_style = QComboBox(self)
        for name in SIDECAR_STYLES:
            self.sidecar_style.addItem(_STYLE_TEXT[name], name)
        self.sidecar_style.setCurrentIndex(SIDECAR_STYLES.index(style.sidecar))
        self.sidecars = QCheckBox("Write the decisions into the exported sidecars", self)
        self.sidecars.setChecked(True)
        self.embed = QCheckBox("JPEG copies carry the decisions inside (Lightroom reads no sidecar for JPEG)", self)
        self.embed.setChecked(True)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.status = QLabel("Rejects are never exported.", self)
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setMinimumHeight(self.fontMetrics().lineSpacing() * 5)  # a report summary fits unclipped
        self.buttons = QDialogButtonBox(self)
        self.start = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start.clicked.connect(self.run_export)
        self.cancel.clicked.connect(self._cancel_or_close)
        form = QFormLayout(self)
        form.addRow("Destination", where)
        form.addRow("Mode", self.mode)
        form.addRow("Which photos", self.picks)
        form.addRow("Minimum rating", self.min_rating)
        form.addRow("Per burst", self.top)
        form.addRow("Sidecar style", self.sidecar_style)
        form.addRow(self.sidecars)
        form.addRow(self.embed)
        form.addRow(self.progress)
        form.addRow(self.status)
        form.addRow(self.buttons)
        self.resize(640, self.sizeHint().height())

    def request(self) -> ExportRequest:
        prefs_style = self.session.prefs.xmp_style()
        style = XmpStyle(
            self.sidecar_style.currentData(), prefs_style.pick_as, prefs_style.pick_label, prefs_style.pick_min_rating
        )
        dest = Path(self.dest.text().strip()).expanduser()
        if not dest.is_absolute():  # "selects" means beside the photos, not the app's working directory
            dest = (self.session.shoot.root if self.session.shoot else Path.home()) / dest
        return ExportRequest(
            dest,
            self.mode.currentData(),
            self.picks.isChecked(),
            self.min_rating.value() or None,
            self.top.value() or None,
            style,
            self.sidecars.isChecked(),
            self.embed.isChecked(),
        )

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.dest.text())
        if folder:
            self.dest.setText(folder)

    def run_export(self) -> None:
        session = self.session
        if session.ranking is None or session.catalog is None:
            self.status.setText("Export needs the ranked shoot; wait until ranking is done.")
            return
        if not self.dest.text().strip():
            self.status.setText("Choose a destination folder.")
            return
        request, catalog, ranking, sidecars = self.request(), session.catalog, session.ranking, session.sidecars

        def job(cancel: threading.Event) -> Generator[Progress, None, ExportOutcome]:
            from ranker.export.job import export_job

            if sidecars is not None:
                sidecars.flush()  # the sidecars at the source hold every decision made so far
            return (yield from export_job(catalog, ranking, request, cancel))

        self.worker = Worker(job, self)
        self.worker.progress.connect(self._progress)
        self.worker.result.connect(self._done)
        self.worker.error.connect(lambda exc: self._stopped(f"Export failed: {exc}"))
        self.worker.cancelled.connect(lambda: self._stopped("Export cancelled."))
        self.start.setEnabled(False)
        self.cancel.setText("Cancel")
        self.status.setText(f"Exporting into {request.dest}…")
        worker, pool = self.worker, self.pool
        session.queue.after_queued(lambda: worker.start(pool))  # every decision made so far is in the catalog

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        else:
            self.progress.setRange(0, 0)
        if progress.message and progress.item is None:
            self.status.setText(progress.message)

    def _done(self, outcome: ExportOutcome) -> None:
        self.outcome = outcome
        self._finish()
        notes = [c.describe() for c in outcome.read_back]
        if outcome.report is None:
            text = "No photo matches the selection (picks / rating / per burst); nothing exported."
        else:
            text = outcome.report.summary()
        if notes:
            text += "\n\nRead from sidecars just before the export:\n" + "\n".join(notes)
        self.status.setText(text)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.finishedExport.emit(outcome)

    def _stopped(self, text: str) -> None:
        self._finish()
        self.status.setText(text)

    def _finish(self) -> None:
        self.worker = None
        self.start.setEnabled(True)
        self.cancel.setText("Close")

    def _cancel_or_close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        else:
            self.accept()
