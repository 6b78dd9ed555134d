"""Paints one photo cell of the burst strip and the grid: thumbnail, rank, score, flag, stars, label, burst header."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from phototriage_gui.models.photo_model import (
    BurstPositionRole,
    BurstRole,
    DecisionRole,
    FirstInBurstRole,
    LastInBurstRole,
    PhotoRole,
    ThumbErrorRole,
)
from phototriage_gui.models.shoot import PENDING
from phototriage_gui.views import badges

HEADER = 18  # the band above each cell naming its burst
BURST_GAP = 12  # extra space before the first photo of a burst, so bursts read as groups
_BAND = (QColor("#4a5a78"), QColor("#5b6b52"))  # alternate bursts, so neighbours stay distinct


class ThumbnailDelegate(QStyledItemDelegate):
    """In the strip (one row) a gap sets bursts apart; in the grid (`view`, wrapping) every burst starts
    a new row: the last photo of a burst claims the rest of its row, and paints only its own cell."""

    def __init__(self, cell: QSize, view: QListView, strip: bool):
        super().__init__(view)
        self.cell = cell
        self.view = view
        self.strip = strip

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        if self.strip:
            extra = BURST_GAP if index.data(FirstInBurstRole) else 0
            return QSize(self.cell.width() + extra, self.cell.height())
        if index.data(LastInBurstRole):
            return QSize(self._rest_of_row(index.data(BurstPositionRole)), self.cell.height())
        return self.cell

    def _rest_of_row(self, place: int) -> int:
        """The width from this cell's left edge to just short of the row's end. QListView wraps an item
        once its right edge plus spacing would pass the layout's right edge, and bursts start a row, so
        a burst's n-th photo sits in column n mod columns."""
        spacing = self.view.spacing()
        step = self.cell.width() + spacing
        width = self._layout_width()
        columns = max(1, (width - spacing) // step)
        return max(self.cell.width(), width - 2 * spacing - (place % columns) * step - 2)

    def _layout_width(self) -> int:
        """The width QListView lays a wrapping flow out in: the viewport as if the vertical scroll bar
        were shown whenever it may be (Qt reserves it so the layout never flips as the bar comes and goes)."""
        width = self.view.maximumViewportSize().width()
        if self.view.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded:
            width -= self.view.verticalScrollBar().sizeHint().width()
        return width

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        photo = index.data(PhotoRole)
        if photo is None:
            return
        burst = index.data(BurstRole)
        decision = index.data(DecisionRole)
        first = bool(index.data(FirstInBurstRole))
        painter.save()
        rect = QRectF(option.rect)
        if self.strip and first:
            rect.setLeft(rect.left() + BURST_GAP)
        rect.setWidth(min(rect.width(), self.cell.width()))  # a grid row's last cell is wider than its photo
        self._header(painter, QRectF(rect.left(), rect.top(), rect.width(), HEADER), burst, photo, first)
        body = rect.adjusted(3, HEADER + 2, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(body, QColor("#2b2b2e") if not selected else QColor("#3d4a66"))
        image_rect = body.adjusted(4, 4, -4, -22)
        self._thumbnail(painter, image_rect, index.data(Qt.ItemDataRole.DecorationRole), index.data(ThumbErrorRole))
        if decision.flag == "reject":  # rejects recede, as in Lightroom
            painter.fillRect(image_rect, QColor(0, 0, 0, 140))
        self._rank(painter, image_rect, photo, burst)
        badges.draw_decision(painter, QRectF(body.left(), body.top(), body.width(), body.height() - 3), decision, 11)
        if decision.label in badges.LABEL_COLOURS:
            painter.fillRect(QRectF(body.left(), body.bottom() - 3, body.width(), 3), badges.LABEL_COLOURS[decision.label])
        if selected:
            painter.setPen(QPen(QColor("#8fb3ff"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(body.adjusted(1, 1, -1, -1))
        painter.restore()

    def _header(self, painter: QPainter, band: QRectF, burst, photo, first: bool) -> None:
        colour = badges.BRACKET if burst.kind == "bracket" else QColor("#555") if burst.kind == PENDING \
            else _BAND[photo.burst % 2]
        painter.fillRect(QRectF(band.left(), band.bottom() - 3, band.width(), 3), colour)
        if not first:
            return
        font = QFont(painter.font())
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#d0d0d0"))
        painter.drawText(band.adjusted(4, 0, 200, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         burst_title(burst))

    def _thumbnail(self, painter: QPainter, rect: QRectF, image: QImage | None, error: str | None) -> None:
        if image is None or image.isNull():
            painter.setPen(QColor("#888") if error is None else badges.REJECT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "…" if error is None else f"unreadable\n{error}")
            return
        size = image.size().scaled(rect.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(rect.center().x() - size.width() / 2, rect.center().y() - size.height() / 2,
                        size.width(), size.height())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, image)

    def _rank(self, painter: QPainter, rect: QRectF, photo, burst) -> None:
        corner = QRectF(rect.left() + 3, rect.top() + 3, 0, 0)
        if burst.kind == "bracket":
            badges.draw_pill(painter, corner, badges.ev_text(photo.metadata.get("exposure_bias")), badges.BRACKET)
        elif photo.rank is not None:
            best = photo.rank == 1 and len(burst.keys) > 1
            badges.draw_pill(painter, corner, "#1 best" if best else f"#{photo.rank}",
                             badges.BEST if best else QColor(0, 0, 0, 170))
            if photo.score is not None:
                badges.draw_pill(painter, QRectF(rect.right() - 44, rect.top() + 3, 0, 0), f"{photo.score:+.2f}",
                                 QColor(0, 0, 0, 150), 10)


def burst_title(burst) -> str:
    count = len(burst.keys)
    if burst.kind == PENDING:
        return f"Ranking… {count} photos in file order"
    if burst.kind == "bracket":
        return f"Bracket {burst.number} · {count} exposures"
    if burst.kind == "single":
        return f"Single {burst.number}"
    return f"Burst {burst.number} · {count}"

