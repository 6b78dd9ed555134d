"""Survey: every shown photo of the current burst side by side (N-up), zoomed together; keys act on the current one."""

from __future__ import annotations

import math

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from phototriage_gui.image_cache import ImageCache
from phototriage_gui.session import Session
from phototriage_gui.views.compare import ComparePane, photo_size
from phototriage_gui.views.image_view import ImageView, ZoomState

#: more frames than this make cells too small to judge; the rest of a long burst is a → away
MAX_PANES = 12


class SurveyView(QWidget):
    def __init__(self, session: Session, cache: ImageCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.cache = cache
        self.zoom = ZoomState(self)  # one state: a focus check at 100% lands on the same spot of every frame
        self.panes: list[ComparePane] = []
        self.keys: list[str] = []
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        self.hint = QLabel(self)
        self.hint.setStyleSheet("color: #bbb; padding: 4px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.hint)
        self._layout(1)  # one pane from the start: the window's zoom keys always have a view to act on
        for signal in (session.currentChanged, session.shootChanged, session.decisionsChanged, session.filterChanged):
            signal.connect(self.refresh)

    def shown_keys(self) -> list[str]:
        burst = self.session.current_burst()
        if burst is None:
            return []
        keys = [k for k in burst.keys if self.session.visible(k)]
        if self.session.current in keys and keys.index(self.session.current) >= MAX_PANES:
            start = keys.index(self.session.current) - MAX_PANES + 1  # keep the current photo on screen
            return keys[start : start + MAX_PANES]
        return keys[:MAX_PANES]

    def _layout(self, count: int) -> None:
        while len(self.panes) < count:
            pane = ComparePane(self.cache, self.zoom, self)
            index = len(self.panes)
            pane.view.clicked.connect(lambda index=index: self._clicked(index))
            self.panes.append(pane)
        columns = count if count <= 3 else round(math.sqrt(count * 1.5))  # screens are wider than tall
        for index, pane in enumerate(self.panes):
            self.grid.removeWidget(pane)
            if index < count:
                self.grid.addWidget(pane, index // columns, index % columns)
                pane.show()
            else:
                pane.hide()
                pane.view.set_photo(None)
        layout = self.layout()
        if layout is not None:
            layout.activate()  # place the panes now: a step must not show them piled at the corner

    def _clicked(self, index: int) -> None:
        if index < len(self.keys):
            self.session.set_current(self.keys[index])

    def active_view(self) -> ImageView:
        if self.session.current in self.keys:
            return self.panes[self.keys.index(self.session.current)].view
        return self.panes[0].view

    def refresh(self, *args: object) -> None:
        if not self.isVisible():
            return  # the stack shows one view at a time; refreshed when shown
        session, shoot = self.session, self.session.shoot
        keys = self.shown_keys() if shoot is not None else []
        if keys != self.keys:
            self.keys = keys
            self._layout(max(1, len(keys)))
        for key, pane in zip(self.keys, self.panes):
            if shoot is None:
                break
            photo = shoot.by_key[key]
            current = key == session.current
            bracket = shoot.bursts[photo.burst].kind == "bracket"
            pane.header.show_photo(photo, session.decision(key), current, bracket=bracket)
            pane.view.highlight = current
            pane.view.set_photo(key, photo_size(photo))
        burst = session.current_burst()
        total = len([k for k in burst.keys if session.visible(k)]) if burst is not None else 0
        more = f"   ·   showing {len(self.keys)} of {total}" if total > len(self.keys) else ""
        self.hint.setText(
            f"Survey of {len(self.keys)} photo(s): click or ←/→ chooses the one P/X/0-5 act on"
            f"   ·   ↓ next burst   ·   Z 100% on all   ·   Enter loupe{more}"
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
