"""The window's action handlers, one per entry of actions.ACTIONS: each asks the session or a view to act."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QFileDialog

from phototriage_gui.views.preferences_dialog import PreferencesDialog


class ActionHandlers:
    """Mixed into MainWindow; `self` has .session, .actions, the views and docks."""

    # -- File -----------------------------------------------------------------------------------
    def on_open(self) -> None:
        recent = self.session.prefs.recent_folders
        folder = QFileDialog.getExistingDirectory(self, "Open a shoot folder", recent[0] if recent else "")
        if folder:
            self.open_folder(folder)

    def on_rerank(self) -> None:
        self.session.start_ranking()

    def on_export(self) -> None:
        """A modeless dialog: culling goes on while the export runs in the jobs pool."""
        from phototriage_gui.views.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(self.session, self.pools.jobs, self)
        self.export_dialog.finishedExport.connect(self._exported)
        self.export_dialog.show()

    def _exported(self, outcome) -> None:
        session = self.session
        ids = [c.photo_id for c in outcome.read_back if c.kept == "disk"]
        if ids and session.shoot is not None:  # decisions just taken from other tools' sidecars
            session.decisions.update(session.catalog.decisions(ids))
            session.decisionsChanged.emit([session.shoot.by_id[i].key for i in ids if i in session.shoot.by_id])

    def on_preferences(self) -> None:
        dialog = PreferencesDialog(self.session.prefs, self)
        if dialog.exec():
            self.session.set_preferences(dialog.preferences())
            self.actions["auto_advance"].setChecked(self.session.prefs.auto_advance)

    def on_quit(self) -> None:
        self.close()

    # -- Edit -----------------------------------------------------------------------------------
    def on_undo(self) -> None:
        stack = self.session.undo_stack
        if stack.canUndo():
            text = stack.undoText()
            stack.undo()
            self.messages.show_message("info", f"Undone: {text}")

    def on_redo(self) -> None:
        stack = self.session.undo_stack
        if stack.canRedo():
            text = stack.redoText()
            stack.redo()
            self.messages.show_message("info", f"Redone: {text}")

    def on_auto_cull(self) -> None:
        self.session.auto_cull()

    # -- Photo ----------------------------------------------------------------------------------
    def _decide(self, text: str, advance: bool | None = None, **change) -> None:
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

    def on_flag(self, flag: str | None) -> None:
        text = {"pick": "pick", "reject": "reject", None: "unflag"}[flag]
        self._decide(f"{text} {self._name()}", flag=flag)

    def on_flag_next(self, flag: str | None) -> None:
        text = {"pick": "pick", "reject": "reject", None: "unflag"}[flag]
        self._decide(f"{text} {self._name()}", advance=True, flag=flag)

    def on_rate(self, stars: int) -> None:
        self._decide(f"{stars} star{'s' if stars != 1 else ''} on {self._name()}", rating=stars)

    def on_label(self, colour: str) -> None:
        current = self.session.decision(self.session.current) if self.session.current else None
        label = None if current is not None and current.label == colour else colour  # same key again clears
        self._decide(f"{colour} label {'off' if label is None else 'on'} {self._name()}", label=label)

    def on_auto_advance(self, checked: bool) -> None:
        if checked != self.session.prefs.auto_advance:
            self.session.set_preferences(replace(self.session.prefs, auto_advance=checked))

    # -- Compare and Go --------------------------------------------------------------------------
    def on_choose(self, side: int) -> None:
        if self.view_mode != "compare":
            self.show_view("compare")  # a choice is only meaningful for the pair on screen
            return
        self.session.choose(side)

    def on_champion(self, checked: bool) -> None:
        if checked != self.session.champion_mode:
            self.session.set_champion_mode(checked)
        if checked and self.view_mode != "compare":
            self.show_view("compare")

    def on_swap_active(self) -> None:
        self.session.swap_active()

    def on_step(self, delta: int) -> None:
        self.session.step(delta)

    def on_burst_step(self, delta: int) -> None:
        self.session.burst_step(delta)

    # -- View ------------------------------------------------------------------------------------
    def on_toggle_view(self) -> None:
        if self.view_mode == "grid":
            self.show_view(self._previous_view)
        else:
            self.show_view("loupe" if self.view_mode == "compare" else "compare")

    def on_show_view(self, name: str) -> None:
        self.show_view(name)

    def on_open_loupe(self) -> None:
        """Enter: the grid's (or the survey's) current photo, big."""
        if self.view_mode in ("grid", "survey") and self.session.current is not None:
            self.show_view("loupe")

    def on_thumb_size(self, step: int) -> None:
        self.grid.change_cell_size(step)
        if self.view_mode != "grid":
            self.show_view("grid")

    def on_stack(self) -> None:
        if not self.session.toggle_stack():
            self.messages.show_message("info", "A single photo or a bracket in progress has no stack to collapse.")

    def on_stack_all(self) -> None:
        self.session.toggle_all_stacks()

    def on_filter_flag(self, flag: str) -> None:
        self.session.set_filter(replace(self.session.filter, flag=flag))

    def on_filter_rating(self, stars: int) -> None:
        self.session.set_filter(replace(self.session.filter, min_rating=stars))

    def on_zoom(self) -> None:
        if self.view_mode == "grid":
            self.show_view("loupe")
        self.active_image_view().toggle_100()

    def on_face_boxes(self, checked: bool) -> None:
        """Face boxes over the photo in the loupe and compare, red where the eyes are closed or the face soft."""
        for view in (self.loupe.view, *self.compare.views()):
            view.set_show_faces(checked)

    def on_show_info(self, checked: bool) -> None:
        self.info_dock.setVisible(checked)
        if checked:
            self.info_dock.raise_()

    def on_show_models(self, checked: bool) -> None:
        self.models_dock.setVisible(checked)
        if checked:
            self.models_dock.raise_()
            self.models.refresh()

    def on_show_problems(self, checked: bool) -> None:
        self.problems_dock.setVisible(checked)

    # -- Model and Help ----------------------------------------------------------------------------
    def on_download_models(self) -> None:
        self.on_show_models(True)
        self.messages.show_message("info", "Missing models have a Download button in the Models panel.")

    def on_learn(self) -> None:
        self.on_show_models(True)
        self.models.learn()

    def on_revert_model(self) -> None:
        self.models.revert()

    def on_help(self) -> None:
        self.help.toggle()
