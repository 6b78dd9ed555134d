"""Compare: two photos of a burst side by side, zoomed and panned together; Q/W says which is better."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from phototriage_gui.image_cache import ImageCache
from phototriage_gui.models.shoot import PhotoItem
from phototriage_gui.session import Session
from phototriage_gui.views import badges
from phototriage_gui.views.image_view import ImageView, ZoomState
from ranker.decisions import Decision


class PhotoHeader(QWidget):
    """Name, rank, score and decision above a photo; highlighted on the side the keys act on."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.photo: PhotoItem | None = None
        self.decision = Decision()
        self.active = False
        self.side = ""
        self.bracket = False  # show the frame's EV instead of a rank: bracket frames are not rivals
        self.setFixedHeight(30)

    def show_photo(
        self, photo: PhotoItem | None, decision: Decision, active: bool, side: str = "", bracket: bool = False
    ) -> None:
        self.photo, self.decision, self.active, self.side, self.bracket = photo, decision, active, side, bracket
        self.update()

    def _text_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(12)
        return font

    def text(self, width: float) -> str:
        """Name and quality in `width` px: a long name gives way in the middle, the quality is never cut
        (a narrow survey cell clipped "quality 73/100" to "quality 7")."""
        if self.photo is None:
            return ""
        score = f"   quality {self.photo.quality:.0f}/100" if self.photo.quality is not None else ""
        metrics = QFontMetrics(self._text_font())
        room = max(0, int(width) - metrics.horizontalAdvance(score))
        return metrics.elidedText(self.photo.name, Qt.TextElideMode.ElideMiddle, room) + score

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#33415e") if self.active else QColor("#252528"))
        if self.photo is None:
            return
        x = 6.0
        if self.side:
            x = badges.draw_pill(painter, QRectF(x, 6, 0, 0), self.side, QColor("#555"), 11).right() + 6
        if self.bracket:
            ev = badges.ev_text(self.photo.metadata.get("exposure_bias"))
            x = badges.draw_pill(painter, QRectF(x, 6, 0, 0), ev, badges.BRACKET, 11).right() + 8
        elif self.photo.rank is not None:
            best = self.photo.rank == 1
            pill = badges.draw_pill(
                painter,
                QRectF(x, 6, 0, 0),
                "#1 best" if best else f"#{self.photo.rank}",
                badges.BEST if best else QColor("#444"),
                11,
            )
            x = pill.right() + 8
        painter.setFont(self._text_font())
        painter.setPen(QColor("#eee"))
        width = self.width() - x - 130
        painter.drawText(QRectF(x, 0, width, self.height()), Qt.AlignmentFlag.AlignVCenter, self.text(width))
        badges.draw_decision(painter, QRectF(self.width() - 124, 4, 120, self.height() - 2), self.decision, 12)


class ComparePane(QWidget):
    def __init__(self, cache: ImageCache, zoom: ZoomState, parent: QWidget | None = None):
        super().__init__(parent)
        self.header = PhotoHeader(self)
        self.view = ImageView(cache, zoom, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.view)


class CompareView(QWidget):
    def __init__(self, session: Session, cache: ImageCache, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.controller = session.compare
        self.zoom = ZoomState(self)  # one state for both panes: that is what keeps them in step
        self.panes = [ComparePane(cache, self.zoom, self), ComparePane(cache, self.zoom, self)]
        self.hint = QLabel(self)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: #bbb; padding: 4px;")
        row = QHBoxLayout()
        row.setSpacing(4)
        for side, pane in enumerate(self.panes):
            row.addWidget(pane)
            pane.view.clicked.connect(lambda side=side: self._activate(side))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.hint)
        self.controller.changed.connect(self.refresh)
        for signal in (session.shootChanged, session.currentChanged, session.decisionsChanged):
            signal.connect(self.refresh)

    def _activate(self, side: int) -> None:
        if self.controller.pair is not None:
            self.session.set_current(self.controller.pair[side])

    def views(self) -> list[ImageView]:
        return [pane.view for pane in self.panes]

    def active_view(self) -> ImageView:
        return self.panes[self.controller.active if self.controller.pair else 0].view

    def refresh(self, *args: object) -> None:
        session, shoot, controller = self.session, self.session.shoot, self.controller
        if shoot is None or session.current is None:
            for pane in self.panes:
                pane.header.show_photo(None, Decision(), False)
                pane.view.set_photo(None, placeholder="Open a folder (Ctrl+O) or drop one here.")
            self.panes[1].hide()
            self.hint.setText("")
            return
        pair = controller.pair or (session.current,)
        for side, pane in enumerate(self.panes):
            if side >= len(pair):
                pane.hide()
                continue
            pane.show()
            photo = shoot.by_key[pair[side]]
            active = len(pair) > 1 and side == controller.active
            sides = ("Q  champion", "W  challenger") if controller.champion_mode else ("Q  left", "W  right")
            pane.header.show_photo(
                photo,
                session.decision(photo.key),
                active,
                sides[side] if len(pair) > 1 else "",
                bracket=shoot.bursts[photo.burst].kind == "bracket",
            )
            pane.view.highlight = active
            pane.view.set_photo(photo.key, photo_size(photo), faces=photo.faces)
        self.hint.setText(self._hint())

    def _hint(self) -> str:
        session, controller = self.session, self.controller
        burst = session.current_burst()
        if controller.pair is None:
            if burst is not None and burst.kind == "pending":
                return "Ranking the shoot… pairs appear when its bursts are ready."
            if burst is not None and burst.kind == "bracket":
                return (
                    "An exposure bracket: its frames belong together (merge them to HDR), so there is no "
                    "better one to choose.  ↓ next burst"
                )
            return "Nothing to compare: this photo has no burst mates.  ↓ next burst"
        if controller.champion_mode:
            if controller.exhausted:
                return (
                    "Every challenger has met the champion: it is the best of this burst.  P picks it"
                    "   ·   ↓ next burst   ·   K leaves champion mode"
                )
            keys = burst.keys if burst is not None else ()
            left = sum(1 for k in keys if session.visible(k) and k not in controller.faced and k not in controller.pair)
            return (
                f"Champion mode: Q keeps the champion, W crowns the challenger   ·   {left} challenger(s) after "
                f"this one   ·   Z 100%   ·   K leaves"
            )
        if controller.exhausted:
            return "Every pair in this burst has been judged.  ↓ next burst   ·   P pick  X reject"
        return (
            "Which is better?   Q left  ·  W right      Tab switches the side P/X/0-5 act on   ·   Z 100%   ·   "
            "K champion mode   ·   N survey"
        )


def photo_size(photo: PhotoItem) -> tuple[int, int] | None:
    w, h = photo.metadata.get("width"), photo.metadata.get("height")
    return (int(w), int(h)) if w and h else None
