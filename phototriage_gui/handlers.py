"""The window's action handlers, one per entry of actions.ACTIONS: each asks the session or a view to act."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog

from phototriage_gui.views.preferences_dialog import PreferencesDialog
from ranker.decisions import Flag, Label

if TYPE_CHECKING:
    from phototriage_gui.main_window import MainWindow
    from phototriage_gui.views.export_dialog import ExportDialog
    from ranker.export.job import ExportOutcome


class ActionHandlers:
    """One per window: `on_<action>` for each entry of actions.ACTIONS, acting on the window's session and views."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.session = window.session
        self.export_dialog: ExportDialog | None = None

    # -- File -----------------------------------------------------------------------------------
    def on_open(self) -> None:
        recent = self.session.prefs.recent_folders
        folder = QFileDialog.getExistingDirectory(self.window, "Open a shoot folder", recent[0] if recent else "")
        if folder:
            self.window.open_folder(folder)

    def on_rerank(self) -> None:
        self.session.start_ranking()

    def on_export(self) -> None:
        """A modeless dialog: culling goes on while the export runs in the jobs pool."""
        from phototriage_gui.views.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(self.session, self.window.pools.jobs, self.window)
        self.export_dialog.finishedExport.connect(self._exported)
        self.export_dialog.show()

    def _exported(self, outcome: ExportOutcome) -> None:
        # decisions just taken from other tools' sidecars: read again from the catalog, off this thread
        self.session.store.reload(c.photo_id for c in outcome.read_back if c.kept == "disk")

    def on_preferences(self) -> None:
        dialog = PreferencesDialog(self.session.prefs, self.window)
        if dialog.exec():
            self.session.set_preferences(dialog.preferences())
            self.window.actions_by_name["auto_advance"].setChecked(self.session.prefs.auto_advance)

    def on_quit(self) -> None:
        self.window.close()

    # -- Edit -----------------------------------------------------------------------------------
    def on_undo(self) -> None:
        stack = self.session.undo_stack
        if stack.canUndo():
            text = stack.undoText()
            stack.undo()
            self.window.messages.show_message("info", f"Undone: {text}")

    def on_redo(self) -> None:
        stack = self.session.undo_stack
        if stack.canRedo():
            text = stack.redoText()
            stack.redo()
            self.window.messages.show_message("info", f"Redone: {text}")

    def on_auto_cull(self) -> None:
        self.session.auto_cull()

    # -- Photo ----------------------------------------------------------------------------------
    def _decide(self, text: str, advance: bool | None = None, **change: Any) -> None:
        """Decide the current photo; then Lightroom's auto-advance goes on to the next photo the filter
        shows (unless the decision already moved on, because the filter hides the photo now)."""
        decided = self.session.current
        done = self.session.decide(text, **change)
        if (
            done
            and (self.session.prefs.auto_advance if advance is None else advance)
            and self.session.current == decided
        ):
            self.session.step(1)

    def _name(self) -> str:
        photo = self.session.current_photo()
        return photo.name if photo is not None else ""

    def on_flag(self, flag: Flag | None) -> None:
        text = {Flag.PICK: "pick", Flag.REJECT: "reject", None: "unflag"}[flag]
        self._decide(f"{text} {self._name()}", flag=flag)

    def on_flag_next(self, flag: Flag | None) -> None:
        text = {Flag.PICK: "pick", Flag.REJECT: "reject", None: "unflag"}[flag]
        self._decide(f"{text} {self._name()}", advance=True, flag=flag)

    def on_rate(self, stars: int) -> None:
        self._decide(f"{stars} star{'s' if stars != 1 else ''} on {self._name()}", rating=stars)

    def on_label(self, colour: Label) -> None:
        current = self.session.decision(self.session.current) if self.session.current else None
        label = None if current is not None and current.label == colour else colour  # same key again clears
        self._decide(f"{colour} label {'off' if label is None else 'on'} {self._name()}", label=label)

    def on_auto_advance(self, checked: bool) -> None:
        if checked != self.session.prefs.auto_advance:
            self.session.set_preferences(replace(self.session.prefs, auto_advance=checked))

    # -- Compare and Go --------------------------------------------------------------------------
    def on_choose(self, side: int) -> None:
        if self.window.view_mode != "compare":
            self.window.show_view("compare")  # a choice is only meaningful for the pair on screen
            return
        self.session.compare.choose(side)

    def on_champion(self, checked: bool) -> None:
        if checked != self.session.compare.champion_mode:
            self.session.compare.set_champion_mode(checked)
        if checked and self.window.view_mode != "compare":
            self.window.show_view("compare")

    def on_swap_active(self) -> None:
        self.session.compare.swap_active()

    def on_step(self, delta: int) -> None:
        self.session.step(delta)

    def on_burst_step(self, delta: int) -> None:
        self.session.burst_step(delta)

    # -- View ------------------------------------------------------------------------------------
    def on_toggle_view(self) -> None:
        if self.window.view_mode == "grid":
            self.window.show_view(self.window._previous_view)
        else:
            self.window.show_view("loupe" if self.window.view_mode == "compare" else "compare")

    def on_show_view(self, name: str) -> None:
        self.window.show_view(name)

    def on_open_loupe(self) -> None:
        """Enter: the grid's (or the survey's) current photo, big."""
        if self.window.view_mode in ("grid", "survey") and self.session.current is not None:
            self.window.show_view("loupe")

    def on_thumb_size(self, step: int) -> None:
        self.window.grid.change_cell_size(step)
        if self.window.view_mode != "grid":
            self.window.show_view("grid")

    def on_stack(self) -> None:
        if not self.session.toggle_stack():
            self.window.messages.show_message(
                "info", "A single photo or a bracket in progress has no stack to collapse."
            )

    def on_stack_all(self) -> None:
        self.session.toggle_all_stacks()

    def on_filter_flag(self, flag: str) -> None:
        self.session.set_filter(replace(self.session.filter, flag=flag))

    def on_filter_rating(self, stars: int) -> None:
        self.session.set_filter(replace(self.session.filter, min_rating=stars))

    def on_zoom(self) -> None:
        if self.window.view_mode == "grid":
            self.window.show_view("loupe")
        self.window.active_image_view().toggle_100()

    def on_face_boxes(self, checked: bool) -> None:
        """Face boxes over the photo in the loupe and compare, red where the eyes are closed or the face soft."""
        for view in (self.window.loupe.view, *self.window.compare.views()):
            view.set_show_faces(checked)

    def on_show_info(self, checked: bool) -> None:
        self.window.info_dock.setVisible(checked)
        if checked:
            self.window.info_dock.raise_()

    def on_show_models(self, checked: bool) -> None:
        self.window.models_dock.setVisible(checked)
        if checked:
            self.window.models_dock.raise_()
            self.window.models.refresh()

    def on_show_problems(self, checked: bool) -> None:
        self.window.problems_dock.setVisible(checked)

    # -- Model and Help ----------------------------------------------------------------------------
    def on_download_models(self) -> None:
        self.on_show_models(True)
        self.window.messages.show_message("info", "Missing models have a Download button in the Models panel.")

    def on_learn(self) -> None:
        self.on_show_models(True)
        self.window.models.learn()

    def on_revert_model(self) -> None:
        self.window.models.revert()

    def on_help(self) -> None:
        self.window.help.toggle()
