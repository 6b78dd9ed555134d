"""Decision badges drawn as shapes (flags, stars, colour labels, rank): the same marks everywhere, no font glyphs."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from phototriage_gui import formatting
from ranker.decisions import Decision, Flag, Label

LABEL_COLOURS = {
    Label.RED: QColor("#e5484d"),
    Label.YELLOW: QColor("#f5d90a"),
    Label.GREEN: QColor("#46a758"),
    Label.BLUE: QColor("#3e63dd"),
    Label.PURPLE: QColor("#8e4ec6"),
}
PICK = QColor("#46a758")
REJECT = QColor("#e5484d")
BEST = QColor("#46a758")
BRACKET = QColor("#f76b15")
STAR = QColor("#ffd23f")
FACE_PROBLEM = QColor(200, 60, 60, 210)  # "eyes closed" / "face soft" on a thumbnail


def _star(centre: QPointF, radius: float) -> QPolygonF:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(centre.x() + r * math.cos(angle), centre.y() + r * math.sin(angle)))
    return QPolygonF(points)


def draw_stars(painter: QPainter, left: float, centre_y: float, rating: int, size: float = 12) -> float:
    """Filled stars for the rating, outlined for the rest of five; returns the width used."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for i in range(5):
        centre = QPointF(left + size / 2 + i * size, centre_y)
        if i < rating:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(STAR)
        else:
            painter.setPen(QPen(QColor(255, 255, 255, 70), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolygon(_star(centre, size * 0.45))
    painter.restore()
    return 5 * size


def draw_flag(painter: QPainter, centre: QPointF, flag: Flag | None, radius: float = 9) -> None:
    """A green disc with a tick for a pick, a red disc with a cross for a reject, nothing when unflagged."""
    if flag is None:
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(0, 0, 0, 120), 1))
    painter.setBrush(PICK if flag == Flag.PICK else REJECT)
    painter.drawEllipse(centre, radius, radius)
    pen = QPen(Qt.GlobalColor.white, max(1.5, radius / 4))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    r = radius * 0.45
    path = QPainterPath()
    if flag == Flag.PICK:
        path.moveTo(centre + QPointF(-r, 0))
        path.lineTo(centre + QPointF(-r * 0.25, r * 0.7))
        path.lineTo(centre + QPointF(r, -r * 0.6))
    else:
        path.moveTo(centre + QPointF(-r, -r))
        path.lineTo(centre + QPointF(r, r))
        path.moveTo(centre + QPointF(r, -r))
        path.lineTo(centre + QPointF(-r, r))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.restore()


def pill_width(painter: QPainter, text: str, font_px: int = 11) -> float:
    """The width draw_pill will take for `text`."""
    font = QFont(painter.font())
    font.setPixelSize(font_px)
    font.setBold(True)
    return QFontMetricsF(font).horizontalAdvance(text) + 10


def draw_pill(painter: QPainter, rect: QRectF, text: str, background: QColor, font_px: int = 11) -> QRectF:
    """Text on a rounded pill anchored at rect's top-left; returns the pill's rect."""
    painter.save()
    font = QFont(painter.font())
    font.setPixelSize(font_px)
    font.setBold(True)
    painter.setFont(font)
    width = painter.fontMetrics().horizontalAdvance(text) + 10
    pill = QRectF(rect.left(), rect.top(), width, font_px + 6)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(background)
    painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
    painter.setPen(Qt.GlobalColor.white)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
    return pill


def draw_decision(painter: QPainter, rect: QRectF, decision: Decision, size: float = 12) -> None:
    """Stars, flag and colour label along the bottom of `rect` (a thumbnail or a compare pane's header)."""
    y = rect.bottom() - size * 0.9
    draw_stars(painter, rect.left() + 4, y, decision.rating, size)
    if decision.label in LABEL_COLOURS:
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(LABEL_COLOURS[decision.label])
        painter.drawRoundedRect(QRectF(rect.left() + 4 + 5 * size + 6, y - size * 0.4, size * 1.6, size * 0.8), 2, 2)
        painter.restore()
    draw_flag(painter, QPointF(rect.right() - size, y), decision.flag, size * 0.7)


def ev_text(bias: float | None) -> str:
    """A bracket frame's exposure as the info panel writes it (formatting.ev: the camera's thirds)."""
    return formatting.ev(bias) or "EV ?"
