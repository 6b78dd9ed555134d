"""Paints one photo cell of the burst strip and the grid: thumbnail, rank, score, flag, stars, label, burst header."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from phototriage_gui import formatting
from phototriage_gui.models.photo_model import (
    BurstRole,
    DamagedRole,
    DecisionRole,
    FirstInBurstRole,
    LastInBurstRole,
    PhotoRole,
    StackRole,
    ThumbErrorRole,
)
from phototriage_gui.models.shoot import PENDING, Burst, PhotoItem
from phototriage_gui.views import badges
from ranker.decisions import Flag

HEADER = 18  # the band above each cell naming its burst
BURST_GAP = 12  # extra space before the first photo of a burst, so bursts read as groups
_BAND = (QColor("#4a5a78"), QColor("#5b6b52"))  # alternate bursts, so neighbours stay distinct


class ThumbnailDelegate(QStyledItemDelegate):
    """Every cell the same size, so photos flow continuously like a contact sheet; a burst reads as one
    group through a band along its cells' tops (orange for a bracket), its title and size on its first
    cell, and a stack badge on the cover of a collapsed burst. In the strip a gap also sets bursts apart."""

    def __init__(self, cell: QSize, view: QListView, strip: bool):
        super().__init__(view)
        self.cell = cell
        self.view = view
        self.strip = strip

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        if self.strip and index.data(FirstInBurstRole):
            return QSize(self.cell.width() + BURST_GAP, self.cell.height())
        return self.cell

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        photo = index.data(PhotoRole)
        if photo is None:
            return
        burst = index.data(BurstRole)
        decision = index.data(DecisionRole)
        first = bool(index.data(FirstInBurstRole))
        last = bool(index.data(LastInBurstRole))
        painter.save()
        rect = QRectF(option.rect)
        if self.strip and first:
            rect.setLeft(rect.left() + BURST_GAP)
        # The band runs on through the spacing to the next cell of the same burst: one bar per group.
        reach = 0 if last or self.strip else self.view.spacing()
        self._header(
            painter,
            QRectF(rect.left(), rect.top(), rect.width() + reach, HEADER),
            burst,
            photo,
            first,
            last,
            index.data(StackRole),
        )
        body = rect.adjusted(3, HEADER + 2, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.fillRect(body, QColor("#2b2b2e") if not selected else QColor("#3d4a66"))
        image_rect = body.adjusted(4, 4, -4, -22)
        self._thumbnail(painter, image_rect, index.data(Qt.ItemDataRole.DecorationRole), index.data(ThumbErrorRole))
        if decision.flag == Flag.REJECT:  # rejects recede, as in Lightroom
            painter.fillRect(image_rect, QColor(0, 0, 0, 140))
        self._rank(painter, image_rect, photo, burst)
        if index.data(DamagedRole):
            badges.draw_pill(
                painter, QRectF(image_rect.left() + 3, image_rect.bottom() - 20, 0, 0), "damaged", badges.REJECT, 10
            )
        stacked = index.data(StackRole)
        if stacked:
            text = f"{stacked} in stack"
            width = badges.pill_width(painter, text, 11)
            badges.draw_pill(
                painter,
                QRectF(image_rect.right() - width - 3, image_rect.bottom() - 20, 0, 0),
                text,
                QColor("#3e63dd"),
                11,
            )
        self._face_badges(painter, image_rect, photo, 18 if index.data(DamagedRole) else 0)
        badges.draw_decision(painter, QRectF(body.left(), body.top(), body.width(), body.height() - 3), decision, 11)
        if decision.label in badges.LABEL_COLOURS:
            painter.fillRect(
                QRectF(body.left(), body.bottom() - 3, body.width(), 3), badges.LABEL_COLOURS[decision.label]
            )
        if selected:
            painter.setPen(QPen(QColor("#8fb3ff"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(body.adjusted(1, 1, -1, -1))
        painter.restore()

    def _header(
        self,
        painter: QPainter,
        band: QRectF,
        burst: Burst,
        photo: PhotoItem,
        first: bool,
        last: bool,
        stacked: int | None,
    ) -> None:
        colour = (
            badges.BRACKET
            if burst.kind == "bracket"
            else QColor("#555")
            if burst.kind == PENDING
            else _BAND[photo.burst % 2]
        )
        if burst.kind == "single":
            colour = QColor("#3a3a3e")  # a single is no group: a faint band only keeps the rows even
        bar = QRectF(
            band.left() + (4 if first else 0),
            band.bottom() - 4,
            band.width() - (4 if first else 0) - (4 if last else 0),
            4,
        )
        painter.fillRect(bar, colour)
        if first and burst.kind != "single":  # the group's opening bracket
            painter.fillRect(QRectF(bar.left(), band.top() + 3, 3, band.height() - 3), colour)
        if last and burst.kind != "single":
            painter.fillRect(QRectF(bar.right() - 3, band.top() + 3, 3, band.height() - 3), colour)
        if not first:
            return
        font = QFont(painter.font())
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#d0d0d0"))
        # A burst of several cells may run its title on over them; a one-cell group keeps it in its cell.
        room = band.adjusted(10, 0, 0 if last else 400, -4)
        title = painter.fontMetrics().elidedText(burst_title(burst), Qt.TextElideMode.ElideRight, int(room.width()))
        painter.drawText(room, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)

    def _thumbnail(self, painter: QPainter, rect: QRectF, image: QImage | None, error: str | None) -> None:
        if image is None or image.isNull():
            painter.setPen(QColor("#888") if error is None else badges.REJECT)
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "…" if error is None else f"unreadable\n{error}",
            )
            return
        size = image.size().scaled(rect.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(
            rect.center().x() - size.width() / 2, rect.center().y() - size.height() / 2, size.width(), size.height()
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, image)

    def _rank(self, painter: QPainter, rect: QRectF, photo: PhotoItem, burst: Burst) -> None:
        corner = QRectF(rect.left() + 3, rect.top() + 3, 0, 0)
        if burst.kind == "bracket":
            badges.draw_pill(painter, corner, badges.ev_text(photo.metadata.get("exposure_bias")), badges.BRACKET)
        elif photo.rank is not None:
            best = photo.rank == 1 and len(burst.keys) > 1
            badges.draw_pill(
                painter, corner, "#1 best" if best else f"#{photo.rank}", badges.BEST if best else QColor(0, 0, 0, 170)
            )
            if photo.quality is not None:  # the 0-100 quality, never a raw (possibly negative) model score
                badges.draw_pill(
                    painter,
                    QRectF(rect.right() - 34, rect.top() + 3, 0, 0),
                    f"{photo.quality:.0f}",
                    QColor(0, 0, 0, 150),
                    10,
                )

    def _face_badges(self, painter: QPainter, rect: QRectF, photo: PhotoItem, above: float = 0) -> None:
        """ "eyes closed" / "face soft" stacked at the thumbnail's bottom-left corner (`above` another badge)."""
        y = rect.bottom() - 3 - above
        for text in formatting.face_badges(photo.signals):
            y -= 16
            badges.draw_pill(painter, QRectF(rect.left() + 3, y, 0, 0), text, badges.FACE_PROBLEM, 10)


def burst_title(burst: Burst) -> str:
    count = len(burst.keys)
    if burst.kind == PENDING:
        return f"Ranking… {count} photos in file order"
    if burst.kind == "bracket":
        return f"Bracket {burst.number} · {count} exposures"
    if burst.kind == "single":
        return f"Single {burst.number}"
    return f"Burst {burst.number} · {count}"
