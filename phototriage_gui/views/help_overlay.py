"""The ? overlay: every shortcut from the actions table, grouped by menu, over the photos."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from phototriage_gui.actions import ACTIONS, shortcut_text

#: menus per column, so the overlay fits a laptop screen without scrolling
_COLUMNS = (("Photo", "File"), ("Compare", "Go", "Edit"), ("View",), ("Filter", "Model", "Help"))


def help_html() -> str:
    columns = []
    for menus in _COLUMNS:
        rows = []
        for menu in menus:
            rows.append(f"<tr><td colspan=2 style='padding-top:10px'><b style='color:#8fb3ff'>{menu}</b></td></tr>")
            for entry in ACTIONS:
                if entry.menu == menu and entry.keys:
                    rows.append(
                        f"<tr><td style='padding-right:14px; color:#ffd23f'><b>"
                        f"{html.escape(shortcut_text(entry))}</b></td>"
                        f"<td>{html.escape(entry.text.replace('&', ''))}</td></tr>"
                    )
        columns.append(f"<td valign=top style='padding-right:36px'><table>{''.join(rows)}</table></td>")
    note = (
        "<p style='color:#aaa'>Decisions are saved the moment you make them. Shift+P/X/U decide and move on; "
        "turn on auto-advance (Ctrl+Shift+A) to move on after every flag or rating.<br>"
        "Mouse: wheel zooms at the cursor, drag pans (both sides of compare together), double-click is 100%. "
        "Press ? or Esc to close.</p>"
    )
    return f"<h2>Keyboard shortcuts</h2><table><tr>{''.join(columns)}</tr></table>{note}"


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.label = QLabel(help_html(), self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setStyleSheet("color: #eee; font-size: 13px;")
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignTop)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
            return
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.setFocus()

    def paintEvent(self, event: QPaintEvent) -> None:
        QPainter(self).fillRect(self.rect(), QColor(12, 12, 14, 232))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.hide()
