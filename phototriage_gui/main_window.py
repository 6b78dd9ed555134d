"""The main window: views, docks, menus and status bar around one Session; action handlers are thin."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QStackedWidget, QVBoxLayout, QWidget

from phototriage_gui import actions as action_table
from phototriage_gui.diagnostics import describe_failure
from phototriage_gui.handlers import ActionHandlers
from phototriage_gui.image_cache import FULL, ImageCache
from phototriage_gui.models.photo_model import PhotoListModel
from phototriage_gui.session import Session
from phototriage_gui.views.compare import CompareView
from phototriage_gui.views.filter_bar import FilterBar
from phototriage_gui.views.help_overlay import HelpOverlay
from phototriage_gui.views.image_view import ImageView
from phototriage_gui.views.info_panel import InfoPanel
from phototriage_gui.views.loupe import LoupeView
from phototriage_gui.views.model_panel import ModelPanel
from phototriage_gui.views.photo_list import BurstStrip, GridView
from phototriage_gui.views.problems import MessageBar, ProblemsList
from phototriage_gui.views.progress import JobProgress
from phototriage_gui.views.survey import SurveyView
from phototriage_gui.workers import Pool, make_pool
from ranker.logs import log_file
from ranker.paths import config_dir
from ranker.store import preferences
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError

PREFETCH_AHEAD, PREFETCH_BEHIND = 3, 1  # photos decoded around the current one, ahead of the user
#: banners that stop being true once a ranking succeeds without unreadable files (by their opening words)
STALE_WHEN_CLEAN = ("Ranking failed", "Ranking cancelled", "No photos in", "file(s) could not be read")
FIT_SETTLE_MS = 250  # a window being dragged larger re-makes the previews once, when it stops
POSITION_SAVE_MS = 300  # coalesces a run of arrow presses into one write of the position
FULL_PREFETCH = 4  # full-resolution decodes kept ready while zoomed: the pair and the next two (72 MB each at 24 MP)


@dataclass
class Pools:
    """Executors by purpose (GUIDE §3): tests pass SyncPool for each."""

    jobs: Pool = field(default_factory=lambda: make_pool(1))  # ranking and learning: one owner of torch
    decode: Pool = field(default_factory=lambda: make_pool(2))  # previews: Pillow/libjpeg release the GIL
    downloads: Pool = field(default_factory=lambda: make_pool(1))  # network and model listing
    #: every catalog read and write of the window: one thread, so they land in the order they were made
    catalog: Pool = field(default_factory=lambda: make_pool(1))

    def all(self) -> tuple[Pool, ...]:
        return (self.jobs, self.decode, self.downloads, self.catalog)


class MainWindow(QMainWindow):
    def __init__(
        self, catalog: Catalog | None = None, pools: Pools | None = None, prefs: preferences.Preferences | None = None
    ):
        super().__init__()
        self.setWindowTitle("PhotoTriage")
        self.pools = pools or Pools()
        self._owns_catalog = catalog is None
        self.failure_details: QMessageBox | None = None  # the last unexpected error's report, when shown
        self.session = Session(catalog, self.pools.jobs, prefs, self, catalog_pool=self.pools.catalog)
        screen = QGuiApplication.primaryScreen()
        long_side = max(screen.size().width(), screen.size().height()) * screen.devicePixelRatio() if screen else 2048
        self.cache = ImageCache(self.pools.decode, preview_size=int(min(3072, max(1024, long_side))), parent=self)
        self.photo_model = PhotoListModel(self.session, self.cache, self)
        self._build_views()
        self._build_docks()
        self._build_status()
        self.handlers = ActionHandlers(self)
        self.actions_by_name = action_table.build_actions(self, self.handlers)
        self._build_menus()
        self.actions_by_name["auto_advance"].setChecked(self.session.prefs.auto_advance)
        self.view_mode = "compare"
        self._previous_view = "compare"
        self._zoomed = False
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(FIT_SETTLE_MS)
        self._fit_timer.timeout.connect(self._update_fit_box)
        self._wire()
        self.setAcceptDrops(True)
        self._restore_geometry()
        self.show_view("compare")
        if self._owns_catalog:  # opening may migrate it: on the catalog thread, like every catalog call
            self.session.open_catalog(Catalog, self._catalog_failed)

    def _catalog_failed(self, exc: Exception) -> None:
        text = " Photos can be viewed, but no decision can be saved."
        if isinstance(exc, CatalogError):
            self.messages.show_message("error", f"{exc}{text}")
        else:
            self.show_failure(f"Cannot open the catalog: {exc}{text}", describe_failure("opening the catalog", exc))

    def show_failure(self, text: str, details: str) -> None:
        """An unexpected error: the message, and its traceback one click away (it is in the log too)."""
        self.messages.show_message("error", text, "Details…", lambda: self._show_details(text, details))

    def _show_details(self, text: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "PhotoTriage: what went wrong", text, parent=self)
        box.setInformativeText(f"The full report is also in {log_file()}.")
        box.setDetailedText(details)
        box.setModal(False)  # culling goes on; the report can stay open beside it
        self.failure_details = box
        box.show()

    # -- construction ----------------------------------------------------------------------
    def _build_views(self) -> None:
        self.compare = CompareView(self.session, self.cache)
        self.loupe = LoupeView(self.session, self.cache)
        self.grid = GridView(self.session, self.photo_model)
        self.grid.list.activated_key.connect(self._open_in_loupe)
        self.survey = SurveyView(self.session, self.cache)
        self.stack = QStackedWidget()
        for view in (self.compare, self.loupe, self.grid, self.survey):
            self.stack.addWidget(view)
        self.strip = BurstStrip(self.session, self.photo_model)
        self.filter_bar = FilterBar(self.session)
        self.messages = MessageBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget, stretch in ((self.filter_bar, 0), (self.messages, 0), (self.stack, 1), (self.strip, 0)):
            layout.addWidget(widget, stretch)
        self.setCentralWidget(central)
        self.help = HelpOverlay(central)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState needs it
        dock.setWidget(widget)
        dock.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.info = InfoPanel(self.session)
        self.info_dock = self._dock("Info", self.info, Qt.DockWidgetArea.RightDockWidgetArea, "info")
        self.models = ModelPanel(self.session, self.pools.jobs, self.pools.downloads)
        self.models_dock = self._dock("Models", self.models, Qt.DockWidgetArea.RightDockWidgetArea, "models")
        self.tabifyDockWidget(self.info_dock, self.models_dock)
        self.info_dock.raise_()
        self.problems = ProblemsList(self.session)
        self.problems_dock = self._dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea, "problems")
        self.problems_dock.hide()

    def _build_status(self) -> None:
        self.job_progress = JobProgress()
        self.position = QLabel()
        self.model_label = QLabel()
        self.statusBar().addWidget(self.position)
        self.statusBar().addWidget(self.job_progress)
        self.statusBar().addPermanentWidget(self.model_label)

    def _build_menus(self) -> None:
        menus = {name: self.menuBar().addMenu(name) for name in action_table.MENUS}
        for entry in action_table.ACTIONS:
            menus[entry.menu].addAction(self.actions_by_name[entry.name])
            if entry.name == "open":
                self.recent_menu = menus["File"].addMenu("Open &Recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for folder in self.session.prefs.recent_folders:
            self.recent_menu.addAction(folder, partial(self.open_folder, folder))
        if not self.session.prefs.recent_folders:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _wire(self) -> None:
        session = self.session
        session.message.connect(self.messages.show_message)
        session.failure.connect(self.show_failure)
        session.rankingStarted.connect(lambda worker: self.job_progress.attach(worker, "Ranking"))
        session.shootChanged.connect(self._shoot_changed)
        session.offerRecursive.connect(self._offer_recursive)
        self._position_timer = QTimer(self)
        self._position_timer.setSingleShot(True)
        self._position_timer.setInterval(POSITION_SAVE_MS)
        self._position_timer.timeout.connect(self._save_position)
        session.currentChanged.connect(lambda _key: self._position_timer.start())
        session.currentChanged.connect(self._current_changed)
        session.problemsChanged.connect(self._problems_changed)
        session.undo_stack.canUndoChanged.connect(self.actions_by_name["undo"].setEnabled)
        session.undo_stack.canRedoChanged.connect(self.actions_by_name["redo"].setEnabled)
        self.actions_by_name["undo"].setEnabled(False)
        self.actions_by_name["redo"].setEnabled(False)
        self.models.modelChanged.connect(session.start_ranking)
        for view in (self.compare, self.loupe, self.survey):
            view.zoom.changed.connect(self._zoom_changed)
        session.compare.changed.connect(
            lambda: self.actions_by_name["champion"].setChecked(session.compare.champion_mode)
        )
        self.models.jobStarted.connect(self.job_progress.attach)
        for name, dock in (
            ("show_info", self.info_dock),
            ("show_models", self.models_dock),
            ("show_problems", self.problems_dock),
        ):
            dock.visibilityChanged.connect(lambda visible, n=name: self._sync_check(n, visible))

    def _sync_check(self, name: str, visible: bool) -> None:
        action = self.actions_by_name[name]
        action.blockSignals(True)
        action.setChecked(visible)
        action.blockSignals(False)

    # -- reacting to the session -------------------------------------------------------------
    def _shoot_changed(self) -> None:
        shoot = self.session.shoot
        if shoot is not None and shoot.ranked:
            self.messages.retract("Ranking failed", "Ranking cancelled")  # a ranking arrived: no longer true
        self.setWindowTitle(f"{shoot.root.name} — PhotoTriage" if shoot else "PhotoTriage")
        model = shoot.model if shoot else None
        self.model_label.setText(
            ("Ranked by the model learned from your choices" if model.personal else "Ranked by the built-in model")
            if model
            else ""
        )
        self.model_label.setToolTip(f"{model.label} ({model.why})" if model else "")
        self._current_changed(self.session.current or "")

    def _current_changed(self, key: str) -> None:
        shoot, photo = self.session.shoot, self.session.current_photo()
        if shoot is None or photo is None:
            self.position.setText("")
            return
        burst = shoot.bursts[photo.burst]
        groups = [b for b in shoot.bursts if b.kind != "single"]  # singles are not bursts (↓ skips them)
        if burst.kind == "single":
            where = "Single photo"
        elif burst.kind == "pending":
            where = "Ranking…"
        else:
            rank = f" · #{photo.rank} of {len(burst.keys)}" if photo.rank else ""
            kind = "Bracket" if burst.kind == "bracket" else "Burst"
            where = f"{kind} {groups.index(burst) + 1} of {len(groups)}{rank}"
        self.position.setText(f"{where} · photo {shoot.index[key] + 1} of {len(shoot.photos)}")
        self._prefetch()

    def _prefetch(self) -> None:
        """Decode what the user will look at next: the pair, then the photos after and before."""
        shoot, current = self.session.shoot, self.session.current
        if shoot is None or current not in shoot.index:
            return
        index = shoot.index[current]
        ahead = [p.key for p in shoot.photos[index + 1 :] if self.session.visible(p.key)][:PREFETCH_AHEAD]
        behind = [p.key for p in reversed(shoot.photos[:index]) if self.session.visible(p.key)][:PREFETCH_BEHIND]
        survey = self.survey.keys if self.view_mode == "survey" else []
        keys = list(dict.fromkeys([current, *(self.session.compare.pair or ()), *survey, *ahead, *behind]))
        # Zoomed in, the next photo is judged at 100% too: its full-resolution pixels are decoded ahead,
        # and each full decode brings its preview along (so a RAW is rendered once, not twice).
        zoomed = self.view_mode != "grid" and not self.active_image_view().zoom.fit
        self.cache.prefetch(keys[:FULL_PREFETCH] if zoomed else [], FULL)
        self.cache.prefetch(keys, self.cache.preview_size)
        for view in self._shown_image_views():
            view._ensure_resolution()  # what is on screen stays first in line

    def _zoom_changed(self) -> None:
        was, self._zoomed = self._zoomed, not self.active_image_view().zoom.fit
        if was != self._zoomed:  # panning at 100% changes nothing about what comes next
            self._prefetch()

    def _problems_changed(self) -> None:
        files = [p for p in self.session.problems if p.where != "catalog"]
        if files:
            self.messages.show_message("warning", f"{len(files)} file(s) could not be read; see View ▸ Problems.")
            self.problems_dock.show()
        else:
            self.messages.retract(*STALE_WHEN_CLEAN)
            if not self.session.problems:
                self.problems_dock.hide()  # an empty Problems panel is noise, at start and after a fix

    # -- opening ---------------------------------------------------------------------------------
    def open_folder(self, folder: str | Path) -> bool:
        """Open `folder` at the photo the user was on when they left it."""
        return self.session.open(folder, start_at=self._settings().value(self._position_key(folder)))

    @staticmethod
    def _position_key(folder: str | Path) -> str:
        import hashlib

        return "positions/" + hashlib.sha1(os.fsencode(Path(folder).expanduser().resolve())).hexdigest()[:16]

    def _save_position(self) -> None:
        """Where the user is in the shoot, for the next time it opens; written at once (a kill keeps it)."""
        shoot, current = self.session.shoot, self.session.current
        if shoot is not None and current:
            settings = self._settings()
            settings.setValue(self._position_key(shoot.root), current)
            settings.sync()

    def _offer_recursive(self, folder: str, count: int) -> None:
        self.messages.show_message(
            "warning",
            f"No photos in {folder} itself, but its sub-folders hold {count}.",
            "Open with sub-folders",
            lambda: self.session.open_recursively(folder),
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                self.open_folder(path if path.is_dir() else path.parent)
                event.acceptProposedAction()
                return

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.help.isVisible():
            self.help.hide()
            return
        super().keyPressEvent(event)

    # -- views -----------------------------------------------------------------------------------
    def show_view(self, name: str) -> None:
        if name != "grid":
            self._previous_view = name
        self.view_mode = name
        self.stack.setCurrentWidget(self._views()[name])
        self.strip.setVisible(name != "grid")  # the grid already shows every photo
        for view in (self.compare, self.loupe, self.survey):
            view.refresh()
        self._fit_timer.start()
        self._prefetch()

    def _update_fit_box(self) -> None:
        """Tell the cache the size photos are shown at (the active view's panes), once a resize settles."""
        views = self._shown_image_views()
        if views:
            size = views[0].size()
            self.cache.set_fit_box((size.width(), size.height()))
            self._prefetch()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()

    def _views(self) -> dict:
        return {"compare": self.compare, "loupe": self.loupe, "grid": self.grid, "survey": self.survey}

    def _shown_image_views(self) -> list:
        if self.view_mode == "compare":
            return [pane.view for pane in self.compare.panes if pane.isVisible()]
        if self.view_mode == "survey":
            return [pane.view for pane in self.survey.panes if pane.isVisible()]
        return [self.loupe.view] if self.view_mode == "loupe" else []

    def active_image_view(self) -> ImageView:
        view = self._views()[self.view_mode if self.view_mode != "grid" else "loupe"]
        return view.active_view()

    def _open_in_loupe(self, key: str) -> None:
        self.session.set_current(key)
        self.show_view("loupe")

    # -- geometry (QSettings holds window state only) -------------------------------------------
    def _settings(self) -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        settings = self._settings()
        if settings.value("geometry") is None or not self.restoreGeometry(settings.value("geometry")):
            self.resize(1400, 900)
        if settings.value("state") is not None:
            self.restoreState(settings.value("state"))
        if not self.session.problems:
            self.problems_dock.hide()  # the saved layout had it open; there is nothing to show yet

    def closeEvent(self, event: QCloseEvent) -> None:
        self._fit_timer.stop()  # nothing may reach the cache once the window is going
        self._position_timer.stop()
        self._save_position()
        settings = self._settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("state", self.saveState())
        self.session.cancel_ranking()
        self.pools.catalog.waitForDone(5000)  # the last decisions reach the catalog and the sidecar queue
        self.session.close()  # and their sidecars
        for pool in self.pools.all():
            pool.waitForDone(5000)  # a cancelled job stops between photos; let it release the catalog
        if self._owns_catalog:
            self.session.queue.close(5000)  # checkpoints the WAL, so the catalog is one tidy file again
            self.session.catalog = None
        super().closeEvent(event)
