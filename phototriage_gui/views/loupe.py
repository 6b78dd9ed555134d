"""Loupe: one photo, fit or 100% (Z), with its rank and decision above it."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from phototriage_gui.image_cache import ImageCache
from phototriage_gui.session import Session
from phototriage_gui.views.compare import PhotoHeader, photo_size
from phototriage_gui.views.image_view import ImageView, ZoomState
from ranker.decisions import Decision


class LoupeView(QWidget):
    def __init__(self, session: Session, cache: ImageCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.zoom = ZoomState(self)
        self.header = PhotoHeader(self)
        self.view = ImageView(cache, self.zoom, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.view)
        for signal in (session.currentChanged, session.shootChanged, session.decisionsChanged):
            signal.connect(self.refresh)

    def active_view(self) -> ImageView:
        return self.view

    def refresh(self, *args: object) -> None:
        photo, shoot = self.session.current_photo(), self.session.shoot
        if photo is None or shoot is None:
            self.header.show_photo(None, Decision(), False)
            self.view.set_photo(None, placeholder="Open a folder (Ctrl+O) or drop one here.")
            return
        bracket = shoot.bursts[photo.burst].kind == "bracket"
        self.header.show_photo(photo, self.session.decision(photo.key), False, bracket=bracket)
        self.view.set_photo(photo.key, photo_size(photo), faces=photo.faces)
