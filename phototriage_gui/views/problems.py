"""Where problems reach the user: a message bar over the photos, and the Problems list (unreadable files, catalog)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton, QWidget

from phototriage_gui.session import Session

_STYLES = {
    "error": "background:#5c1f22; color:#ffd7d7;",
    "warning": "background:#5a4a12; color:#fff2c2;",
    "info": "background:#1f3350; color:#dbe8ff;",
}
INFO_SECONDS = 6  # errors stay until closed; information fades


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.hide)
        self.action = QToolButton(self)  # an offer the message makes ("Include sub-folders")
        self.action.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.action.hide()
        self._act: Callable[[], object] | None = None
        self.action.clicked.connect(self._acted)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.level = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(
        self, level: str, text: str, action: str = "", on_action: Callable[[], object] | None = None
    ) -> None:
        if self.isVisible() and self.level == "error" and level == "info":
            return  # an unread error outranks a routine notice
        self.action.setVisible(bool(action))
        self.action.setText(action)
        self._act = on_action
        self.level = level
        self.setStyleSheet(_STYLES.get(level, _STYLES["info"]))
        self.label.setText(text)
        self.show()
        self._timer.stop()
        if level == "info":
            self._timer.start(INFO_SECONDS * 1000)

    def retract(self, *starts: str) -> None:
        """Hide the message if it is one of these (by its opening words): what it said no longer applies."""
        if self.isVisible() and self.label.text().startswith(starts):
            self.hide()

    def _acted(self) -> None:
        act, self._act = self._act, None
        self.hide()
        if act is not None:
            act()


class ProblemsList(QListWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWordWrap(True)
        session.problemsChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        for problem in self.session.problems:
            item = QListWidgetItem(f"{problem.where}\n    {problem.reason}")
            item.setToolTip(problem.reason)
            self.addItem(item)
        if not self.session.problems:
            self.addItem(QListWidgetItem("No problems."))
