"""The filter bar: all / picks / rejects / unflagged, and a minimum rating, with live counts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QToolButton, QWidget

from phototriage_gui.session import FACE_FILTERS, FLAG_FILTERS, Filter, Session
from ranker.decisions import Flag

_TITLES = {"all": "All", "picks": "Picks", "rejects": "Rejects", "unflagged": "Unflagged"}


class FilterBar(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QLabel("Show:", self))
        for name in FLAG_FILTERS:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
            button.setAutoRaise(True)
            self.group.addButton(button)
            self.buttons[name] = button
            layout.addWidget(button)
            button.clicked.connect(lambda _=False, name=name: self._changed(flag=name))
        self.buttons["all"].setChecked(True)
        self.rating = QComboBox(self)
        self.rating.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rating.addItems(["any rating"] + [f"{'★' * n} or more" for n in range(1, 6)])
        self.rating.currentIndexChanged.connect(lambda n: self._changed(min_rating=n))
        self.faces = QComboBox(self)
        self.faces.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.faces.addItems(["any faces" if f == "any" else f for f in FACE_FILTERS])
        self.faces.setToolTip("Eyes closed and face soft are judged against the same person in the rest of the burst")
        self.faces.currentIndexChanged.connect(lambda n: self._changed(faces=FACE_FILTERS[n]))
        layout.addSpacing(12)
        layout.addWidget(self.rating)
        layout.addWidget(self.faces)
        layout.addStretch(1)
        for signal in (session.decisionsChanged, session.shootChanged, session.filterChanged):
            signal.connect(self.refresh)
        self.refresh()

    def _changed(self, **change: Any) -> None:
        current = self.session.filter
        self.session.set_filter(
            Filter(
                change.get("flag", current.flag),
                change.get("min_rating", current.min_rating),
                change.get("faces", current.faces),
            )
        )

    def refresh(self, *args: object) -> None:
        counts = dict.fromkeys(FLAG_FILTERS, 0)
        shoot = self.session.shoot
        for photo in shoot.photos if shoot else []:
            flag = self.session.decision(photo.key).flag
            counts["all"] += 1
            counts[{Flag.PICK: "picks", Flag.REJECT: "rejects", None: "unflagged"}[flag]] += 1
        for name, button in self.buttons.items():
            button.setText(f"{_TITLES[name]} {counts[name]}")
            button.setChecked(self.session.filter.flag == name)
        if self.rating.currentIndex() != self.session.filter.min_rating:
            self.rating.setCurrentIndex(self.session.filter.min_rating)
        if self.faces.currentIndex() != FACE_FILTERS.index(self.session.filter.faces):
            self.faces.setCurrentIndex(FACE_FILTERS.index(self.session.filter.faces))
