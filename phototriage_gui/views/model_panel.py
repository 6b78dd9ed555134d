"""The models panel: the active model and why, feature extractors with Download, learning from your choices."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from phototriage_gui.session import Session
from phototriage_gui.workers import Pool, Worker
from ranker.progress import Progress

if TYPE_CHECKING:
    from ranker.learning import FineTuneResult
    from ranker.store.catalog import Catalog

#: what each extractor looks at, in a photographer's words (the registry's technical text is the tooltip)
PLAIN_FEATURES = {
    "iqa": "sharpness, exposure, colour and contrast",
    "noise": "sensor noise in smooth areas",
    "clipping": "blown highlights and crushed shadows",
    "exposure_profile": "exposure compared with the rest of the burst",
    "descriptor": "a tiny thumbnail, to tell one scene from the next",
    "clip": "what is in the picture (subject and scene)",
    "cnn": "texture and fine detail",
    "pyiqa": "overall image quality (a published quality metric)",
}


def plain_feature(name: str) -> str:
    base = name.split(":", 1)[0].split(" ", 1)[0]
    return PLAIN_FEATURES.get(base, name)


def inspect_models(cancel: threading.Event | None = None) -> dict[str, Any]:
    """Extractor readiness and personal models; importing the registry loads torch, so this runs in a pool."""
    from ranker.features.registry import all_specs

    specs = [
        {
            "name": s.name,
            "dim": s.dim,
            "description": s.description,
            "ready": s.is_ready(),
            "downloadable": s.weights is not None,
            "mb": s.weights.size_bytes / 1e6 if s.weights else 0,
        }
        for s in all_specs()
    ]
    try:
        from ranker.ml import personal_models
    except ImportError:
        return {"specs": specs, "personal": None}
    personal = [
        {"id": m.id, "active": m.active, "describe": m.describe(), "usable": m.error is None}
        for m in personal_models.list_models()
    ]
    return {"specs": specs, "personal": personal}


def download_job(name: str) -> Callable[[threading.Event], Generator[Progress, None, Path]]:
    def job(cancel: threading.Event) -> Generator[Progress, None, Path]:
        from ranker.features.registry import get_spec
        from ranker.features.weights import download_steps

        spec = get_spec(name)
        if spec.weights is None:
            raise ValueError(f"{name} has no weights to download")
        # A generator: the worker forwards its byte-count Progress to the status bar's progress and ETA.
        return (yield from download_steps(spec.weights, validate=spec.validate, cancel=cancel))

    return job


def learn_job(catalog: Catalog) -> Callable[[threading.Event], Generator[Progress, None, FineTuneResult]]:
    def job(cancel: threading.Event) -> Generator[Progress, None, FineTuneResult]:
        from ranker.learning import collect_pairs, fine_tune

        pairs, problems = collect_pairs(catalog)
        return (yield from fine_tune(catalog, pairs, problems=problems, cancel=cancel))

    return job


class ModelPanel(QWidget):
    modelChanged = Signal()  # a personal model was activated or reverted: the shoot must be re-scored
    jobStarted = Signal(object, str)  # Worker, title: for the status bar

    def __init__(self, session: Session, jobs_pool: Pool, downloads_pool: Pool, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.jobs_pool, self.downloads_pool = session, jobs_pool, downloads_pool
        self.active = QLabel(self)
        self.active.setWordWrap(True)
        self.active.setTextFormat(Qt.TextFormat.RichText)
        self.features = QGridLayout()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.learn_button = QPushButton("Learn from my choices", self)
        self.revert_button = QPushButton("Revert to default", self)
        self.personal = QComboBox(self)
        self.use_button = QPushButton("Use", self)
        self.learn_result = QLabel(self)
        self.learn_result.setWordWrap(True)
        for button in (self.learn_button, self.revert_button, self.use_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.learn_button.clicked.connect(self.learn)
        self.revert_button.clicked.connect(self.revert)
        self.use_button.clicked.connect(self._use_selected)
        features_box = QGroupBox("What the ranking can look at", self)
        features_box.setLayout(self.features)
        learn_box = QGroupBox("Your taste", self)
        learn_layout = QVBoxLayout(learn_box)
        learn_layout.addWidget(self.learn_button)
        learn_layout.addWidget(self.learn_result)
        row = QHBoxLayout()
        row.addWidget(self.personal, 1)
        row.addWidget(self.use_button)
        learn_layout.addLayout(row)
        learn_layout.addWidget(self.revert_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.active)
        layout.addWidget(features_box)
        layout.addWidget(learn_box)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self._personal_ids: list[str] = []
        self._active_text = ""
        session.shootChanged.connect(self.show_active)
        self.show_active()

    # -- what is there ----------------------------------------------------------------------
    def show_active(self) -> None:
        model = self.session.shoot.model if self.session.shoot else None
        if not model:
            self.active.setText("<b>Active model</b><br><span style='color:#999'>shown once a shoot is ranked</span>")
            return
        looks_at = list(dict.fromkeys(plain_feature(f) for f in model.features))
        self._active_text = (
            f"<b>Ranking with {'the model learned from your choices' if model.personal else 'the built-in model'}</b>"
            f"<br><span style='color:#aaa'>{html.escape(model.why)}</span><br>"
            f"It looks at: {html.escape('; '.join(looks_at))}.<br>"
        )
        if self.session.model_change:
            self._active_text += f"<span style='color:#e0c060'>{html.escape(self.session.model_change)}</span><br>"
        self.active.setText(self._active_text)
        self.active.setToolTip(f"{model.label}\n{', '.join(model.features)}\n{model.architecture or ''}")
        # How much the model has to learn from: counted on the catalog thread. A locked catalog only
        # loses this hint, so its error is dropped.
        self.session.queue.submit(lambda catalog: len(catalog.choices()), self._show_choices, lambda _exc: None)
        self.refresh()

    def _show_choices(self, choices: int) -> None:
        """The user's own Q/W choices and decisions, under the active model."""
        if choices == 0:
            text = (
                "You have made no choices yet: in Compare, Q or W says which photo is better, "
                "and the model learns your taste from them."
            )
        else:
            text = (
                f"You have made <b>{choices}</b> choice{'s' if choices != 1 else ''} "
                f"(Q/W in Compare); picks, rejects and stars inside a burst count too."
            )
        self.active.setText(self._active_text + text)

    def refresh(self) -> None:
        worker = Worker(inspect_models, self)
        worker.result.connect(self._show_models)
        worker.error.connect(lambda exc: self.status.setText(f"Cannot list models: {exc}"))
        worker.finished.connect(worker.deleteLater)
        worker.start(self.downloads_pool)

    def _show_models(self, info: dict) -> None:
        while self.features.count():
            item = self.features.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for row, spec in enumerate(info["specs"]):
            name = QLabel(
                f"<b>{html.escape(plain_feature(spec['name']).capitalize())}</b><br>"
                f"<span style='color:#999'>{html.escape(spec['name'])}</span>",
                self,
            )
            name.setToolTip(f"{spec['description']} ({spec['dim']} numbers)")
            name.setWordWrap(True)
            self.features.addWidget(name, row, 0)
            if spec["ready"]:
                self.features.addWidget(QLabel("<span style='color:#7fd18b'>ready</span>", self), row, 1)
            elif spec["downloadable"]:
                button = QPushButton(f"Download ({spec['mb']:.0f} MB)", self)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _=False, n=spec["name"]: self.download(n))
                self.features.addWidget(button, row, 1)
            else:
                self.features.addWidget(QLabel("<span style='color:#ff8b8b'>missing</span>", self), row, 1)
        personal = info["personal"]
        self.learn_button.setEnabled(personal is not None and self.session.catalog is not None)
        self.personal.clear()
        self._personal_ids = []
        for model in personal or []:
            self.personal.addItem(f"{model['id']}{' (active)' if model['active'] else ''}: {model['describe']}")
            self._personal_ids.append(model["id"])
        self.personal.setEnabled(bool(self._personal_ids))
        self.use_button.setEnabled(bool(self._personal_ids))
        self.revert_button.setEnabled(any(m["active"] for m in personal or []))

    # -- actions ---------------------------------------------------------------------------
    def download(self, name: str) -> None:
        worker = Worker(download_job(name), self)
        worker.result.connect(lambda path, n=name: self._done(f"{n} downloaded and verified; Ctrl+R re-ranks with it."))
        worker.error.connect(lambda exc, n=name: self._failed(f"{n}: download failed: {exc}"))
        self._run(worker, self.downloads_pool, f"Downloading {name}")

    def learn(self) -> None:
        if self.session.catalog is None:
            self._failed("Learning needs the catalog, which could not be opened.")
            return
        worker = Worker(learn_job(self.session.catalog), self)
        worker.result.connect(self._learned)
        worker.error.connect(lambda exc: self._failed(str(exc)))
        # the choices just made are still on their way to the catalog: learn once they are in
        self.session.queue.after_queued(lambda: self._run(worker, self.jobs_pool, "Learning from your choices"))

    def _learned(self, result: FineTuneResult) -> None:
        self.learn_result.setTextFormat(Qt.TextFormat.RichText)
        self.learn_result.setText(
            f"Learned from {result.train_pairs} of your choices and decisions, then tested on {result.held_out} "
            f"choices it had not seen: it agrees with you on <b>{result.after:.0%}</b> of them (before: "
            f"{result.before:.0%}). Held-out agreement: {result.before:.0%} → {result.after:.0%}."
            f"<br>{html.escape(result.verdict)}"
        )
        self._done("Learning finished.")
        if result.activated:
            self.modelChanged.emit()

    def revert(self) -> None:
        def job(_cancel: threading.Event) -> str | None:
            from ranker.ml import personal_models

            return personal_models.revert()

        worker = Worker(job, self)
        worker.result.connect(
            lambda previous: self._activated(
                f"Back to the default model{f' (personal {previous} kept)' if previous else ''}."
            )
        )
        worker.error.connect(lambda exc: self._failed(str(exc)))
        self._run(worker, self.jobs_pool, "Reverting to the default model")

    def _use_selected(self) -> None:
        index = self.personal.currentIndex()
        if not 0 <= index < len(self._personal_ids):
            return
        model_id = self._personal_ids[index]

        def job(_cancel: threading.Event) -> str:
            from ranker.ml import personal_models  # activating loads the checkpoint to check it: off the UI thread

            return personal_models.activate(model_id).id

        worker = Worker(job, self)
        worker.result.connect(lambda activated: self._activated(f"Using personal model {activated}."))
        worker.error.connect(lambda exc: self._failed(str(exc)))
        self._run(worker, self.jobs_pool, f"Checking personal model {model_id}")

    def _activated(self, text: str) -> None:
        self._done(text)
        self.modelChanged.emit()

    def _run(self, worker: Worker, pool: Any, title: str) -> None:
        self.busy.show()
        self.status.setText(f"{title}…")
        worker.finished.connect(self.busy.hide)
        worker.finished.connect(worker.deleteLater)
        self.jobStarted.emit(worker, title)
        worker.start(pool)

    def _done(self, text: str) -> None:
        self.status.setText(text)
        self.session.message.emit("info", text)
        self.refresh()

    def _failed(self, text: str) -> None:
        self.status.setText(f"<span style='color:#ff8b8b'>{html.escape(text)}</span>")
        self.session.message.emit("error", text)
