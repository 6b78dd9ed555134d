"""A zoomable, pannable photo; views sharing one ZoomState zoom and pan together (compare)."""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPoint, QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from phototriage_gui.image_cache import FULL, THUMB, ImageCache
from phototriage_gui.views import badges

MAX_SCALE = 8.0  # 800%: enough to judge eyelashes, past it is only pixels
WHEEL_STEP = 1.25


class ZoomState(QObject):
    """Fit, or a scale in screen pixels per photo pixel (1.0 = 100%) around a centre in photo fractions.
    Kept while stepping through photos, so focus checks stay on the same spot of every frame."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.fit = True
        self.scale = 1.0
        self.centre = QPointF(0.5, 0.5)

    def set(self, fit: bool, scale: float | None = None, centre: QPointF | None = None) -> None:
        self.fit = fit
        if scale is not None:
            self.scale = min(MAX_SCALE, max(0.02, scale))
        if centre is not None:
            self.centre = QPointF(min(1.0, max(0.0, centre.x())), min(1.0, max(0.0, centre.y())))
        self.changed.emit()


class ImageView(QWidget):
    clicked = Signal()

    def __init__(self, cache: ImageCache, zoom: ZoomState, parent: QWidget | None = None):
        super().__init__(parent)
        self.cache = cache
        self.zoom = zoom
        self.key: str | None = None
        self.size_hint: tuple[int, int] | None = None  # full-resolution size from the catalog's metadata
        self.placeholder = ""
        self.highlight = False
        self.faces: tuple[dict, ...] = ()  # PhotoItem.faces: boxes as fractions of the photo, with verdicts
        self.show_faces = False
        self._drag: QPointF | None = None
        self._dragged = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        # paintEvent covers every pixel: Qt need not paint the parents beneath first (measured: a repaint
        # of a 3106×2023 view took 11 ms with them, 2.5 ms without)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        zoom.changed.connect(self._zoom_changed)
        cache.ready.connect(self._image_ready)

    def set_photo(
        self,
        key: str | None,
        full_size: tuple[int, int] | None = None,
        placeholder: str = "",
        faces: tuple[dict, ...] = (),
    ) -> None:
        self.key, self.size_hint, self.placeholder, self.faces = key, full_size, placeholder, tuple(faces)
        if key is not None:
            self.cache.request(key, self.cache.preview_size, urgent=True)
            self._ensure_resolution()
        self.update()

    def image(self) -> QImage | None:
        """What is painted: at fit the preview made for this view (a blit), unless the view is larger
        than previews are made; else the most detailed pixels in memory."""
        if not self.key:
            return None
        shown = self.cache.get(self.key, self.cache.preview_size) if self.zoom.fit else None
        # (needs_full's question, asked without image(): full_size() falls back on it)
        if shown is not None and self._known_size() and not self.needs_full():
            return shown
        return self.cache.best(self.key)

    def _known_size(self) -> tuple[int, int] | None:
        size = (self.cache.full_size(self.key) if self.key else None) or self.size_hint
        return size if size and size[0] and size[1] else None

    # -- geometry ------------------------------------------------------------------------------
    def full_size(self) -> QSizeF | None:
        size = self._known_size()
        if size is None:
            image = self.image()
            return QSizeF(image.size()) if image is not None else None
        return QSizeF(*size)

    def fit_scale(self) -> float:
        full = self.full_size()
        if full is None:
            return 1.0
        # Fit never enlarges past 100%: a small file shown bigger than it is would hide its softness.
        return min(self.width() / full.width(), self.height() / full.height(), 1.0)

    def scale(self) -> float:
        return self.fit_scale() if self.zoom.fit else self.zoom.scale

    def image_rect(self) -> QRectF | None:
        full = self.full_size()
        if full is None:
            return None
        s = self.scale()
        w, h = full.width() * s, full.height() * s
        left = self.width() / 2 - self.zoom.centre.x() * w if not self.zoom.fit else (self.width() - w) / 2
        top = self.height() / 2 - self.zoom.centre.y() * h if not self.zoom.fit else (self.height() - h) / 2
        # Keep the photo on screen: centred when smaller than the view, edges never inside it when larger.
        left = (self.width() - w) / 2 if w <= self.width() else min(0.0, max(self.width() - w, left))
        top = (self.height() - h) / 2 if h <= self.height() else min(0.0, max(self.height() - h, top))
        return QRectF(left, top, w, h)

    def photo_point(self, pos: QPointF) -> QPointF | None:
        """The photo position (fractions 0-1) under a widget position."""
        rect = self.image_rect()
        if rect is None or rect.width() <= 0:
            return None
        return QPointF((pos.x() - rect.left()) / rect.width(), (pos.y() - rect.top()) / rect.height())

    # -- zooming and panning -------------------------------------------------------------------
    def zoom_at(self, scale: float, anchor: QPointF | None = None) -> None:
        """Set `scale` keeping the photo point under `anchor` (a widget position) where it is;
        zooming out to the fitting scale or below returns to fit."""
        full = self.full_size()
        if full is None:
            return
        if scale <= self.fit_scale() + 1e-9 and scale < 1.0:
            self.zoom.set(fit=True)
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        point = self.photo_point(anchor) or QPointF(0.5, 0.5)
        scale = min(MAX_SCALE, scale)
        centre = QPointF(
            point.x() + (self.width() / 2 - anchor.x()) / (full.width() * scale),
            point.y() + (self.height() / 2 - anchor.y()) / (full.height() * scale),
        )
        self.zoom.set(fit=False, scale=scale, centre=self._clamped(centre, scale))

    def toggle_100(self, anchor: QPointF | None = None) -> None:
        """Z: fit ↔ 100%, at the point clicked, or where the last 100% view was (Lightroom keeps it)."""
        if not self.zoom.fit and abs(self.zoom.scale - 1.0) < 1e-6:
            self.zoom.set(fit=True)
        elif anchor is not None:
            self.zoom_at(1.0, anchor)
        elif self.full_size() is not None:
            self.zoom.set(fit=False, scale=1.0, centre=self._clamped(self.zoom.centre, 1.0))

    def _clamped(self, centre: QPointF, scale: float) -> QPointF:
        full = self.full_size()
        if full is None:
            return centre
        half_w = self.width() / (2 * full.width() * scale)
        half_h = self.height() / (2 * full.height() * scale)
        x = 0.5 if half_w >= 0.5 else min(1 - half_w, max(half_w, centre.x()))
        y = 0.5 if half_h >= 0.5 else min(1 - half_h, max(half_h, centre.y()))
        return QPointF(x, y)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_at(self.scale() * WHEEL_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag, self._dragged = event.position(), False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        full = self.full_size()
        if self._drag is None or full is None or self.zoom.fit:
            return
        delta = event.position() - self._drag
        self._drag = event.position()
        self._dragged = True
        s = self.zoom.scale
        centre = QPointF(
            self.zoom.centre.x() - delta.x() / (full.width() * s),
            self.zoom.centre.y() - delta.y() / (full.height() * s),
        )
        self.zoom.set(fit=False, centre=self._clamped(centre, s))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and not self._dragged:
            self.clicked.emit()
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.toggle_100(event.position())

    # -- painting --------------------------------------------------------------------------------
    def _zoom_changed(self) -> None:
        self._ensure_resolution()
        self.update()

    def _image_ready(self, key: str, size: int) -> None:
        if key == self.key:
            self._ensure_resolution()
            self.update()

    def _ensure_resolution(self) -> None:
        """Ask for the full-resolution decode once the preview would be enlarged on screen."""
        if self.key is not None and self.needs_full() and self.cache.get(self.key, FULL) is None:
            self.cache.request(self.key, FULL, urgent=True)
        elif self.key is not None and self.image() is None:
            self.cache.request(self.key, self.cache.preview_size, urgent=True)

    def needs_full(self) -> bool:
        """The preview would be enlarged on screen. At fit only a view larger than the preview cap asks
        for the file's pixels (a preview decoded at the nearest DCT scale may be a little smaller than
        the view: ranker.io.preview.DRAFT_SLACK), and a thumbnail standing in until the preview lands asks
        for nothing; zoomed, every photo pixel must be a file pixel."""
        full = self.full_size()
        if self.key is None or full is None:
            return False
        on_screen = full.width() * self.scale()
        if self.zoom.fit:
            # Previews are made to fit the view (ImageCache.fit_box) up to preview_size: only a view
            # larger than that cap needs the full decode to fit (one made for a smaller view is re-made).
            on_screen_long = max(full.width(), full.height()) * self.scale()
            return (
                self.cache.get(self.key, self.cache.preview_size) is not None
                and on_screen_long > self.cache.preview_size * 1.01
            )
        image = self.image()
        return image is not None and on_screen > image.width() * 1.01

    def loading_full(self) -> bool:
        """Zoomed in, but the full-resolution pixels are not on screen yet: the view must say so."""
        return (
            not self.zoom.fit and self.key is not None and self.needs_full() and self.cache.get(self.key, FULL) is None
        )

    def loading_preview(self) -> bool:
        """At fit, only the thumbnail is in memory (drawn enlarged) while the preview is decoded: the
        view says so, so a soft stand-in is never judged as the photo."""
        key, cache = self.key, self.cache
        return (
            self.zoom.fit
            and key is not None
            and cache.get(key, THUMB) is not None
            and cache.get(key, cache.preview_size) is None
            and cache.get(key, FULL) is None
            and cache.error(key, cache.preview_size) is None
        )

    def resizeEvent(self, event) -> None:
        self._ensure_resolution()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        image, rect = self.image(), self.image_rect()
        if image is not None and rect is not None:
            if abs(rect.width() - image.width()) < 1 and abs(rect.height() - image.height()) < 1:
                at = QPointF(round(rect.left()), round(rect.top()))
                self._background(painter, QRectF(at, QSizeF(image.size())))
                painter.drawImage(at, image)  # 1:1, a blit
            else:
                self._background(painter, rect)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale() < 1.0)
                painter.drawImage(rect, image)
            if self.show_faces:
                self._face_boxes(painter, rect)
            self._zoom_label(painter)
        else:
            self._background(painter, None)
            error = self.cache.error(self.key, self.cache.preview_size) if self.key else None
            painter.setPen(QColor("#e5484d") if error else QColor("#999"))
            text = f"Cannot show this photo:\n{error}" if error else (self.placeholder or "Loading…")
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        if self.highlight:
            painter.setPen(QPen(QColor("#8fb3ff"), 3))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))

    def _background(self, painter: QPainter, photo: QRectF | None) -> None:
        """The view's background around the photo drawn at `photo` only: filling under it too would write
        every pixel twice (3 ms a frame for 6 MP). Pixels the photo covers only partly, at its edges, are
        filled (the photo is drawn over them)."""
        colour = QColor("#1b1b1d")
        if photo is None:
            painter.fillRect(self.rect(), colour)
            return
        inner = QRect(
            QPoint(math.ceil(photo.left()), math.ceil(photo.top())),
            QPoint(math.floor(photo.right()) - 1, math.floor(photo.bottom()) - 1),
        ).intersected(self.rect())
        if inner.isEmpty():
            painter.fillRect(self.rect(), colour)
            return
        width, height = self.width(), self.height()
        painter.fillRect(QRect(0, 0, width, inner.top()), colour)
        painter.fillRect(QRect(0, inner.bottom() + 1, width, height - inner.bottom() - 1), colour)
        painter.fillRect(QRect(0, inner.top(), inner.left(), inner.height()), colour)
        painter.fillRect(QRect(inner.right() + 1, inner.top(), width - inner.right() - 1, inner.height()), colour)

    def set_show_faces(self, on: bool) -> None:
        self.show_faces = on
        self.update()

    def _face_boxes(self, painter: QPainter, rect: QRectF) -> None:
        """Each face's box (F): green when fine, red with what is wrong when the eyes are closed or the
        face is soft against the same person in the rest of the burst."""
        font = QFont(painter.font())
        font.setPixelSize(12)
        painter.setFont(font)
        for face in self.faces:
            x0, y0, x1, y1 = face["box"]
            box = QRectF(
                rect.left() + x0 * rect.width(),
                rect.top() + y0 * rect.height(),
                (x1 - x0) * rect.width(),
                (y1 - y0) * rect.height(),
            )
            problems = [text for text, key in (("eyes closed", "eyes_closed"), ("face soft", "soft")) if face.get(key)]
            colour = QColor("#ff6b6b") if problems else QColor("#7fd18b")
            painter.setPen(QPen(colour, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(box)
            if problems:
                label = QRectF(box.left(), box.bottom() + 2, max(box.width(), 90), 16)
                painter.fillRect(label, QColor(0, 0, 0, 170))
                painter.setPen(colour)
                painter.drawText(
                    label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, " " + ", ".join(problems)
                )

    def _zoom_label(self, painter: QPainter) -> None:
        """The scale, and only once the pixels behind it are the file's: an enlarged preview is never
        labelled 100% (it would pass a soft photo as sharp)."""
        failed = self.cache.error(self.key, FULL) if self.key and not self.zoom.fit else None
        if failed:
            text, background = f"100% unavailable: {failed}", QColor(120, 30, 34, 220)
        elif self.loading_full():
            text, background = "Loading full resolution…  (preview, enlarged)", QColor(150, 90, 10, 230)
        elif self.loading_preview():
            text, background = "Loading preview…  (thumbnail, enlarged)", QColor(150, 90, 10, 230)
        elif self.zoom.fit:
            text, background = f"Fit {self.scale() * 100:.0f}%", QColor(0, 0, 0, 150)
        else:
            text, background = f"{self.zoom.scale * 100:.0f}%", QColor(0, 0, 0, 150)
        font = QFont(painter.font())
        font.setPixelSize(11 if background.alpha() == 150 else 13)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 16
        box = QRectF(self.width() - width - 6, self.height() - 26, width, 22)
        painter.fillRect(box, background)
        painter.setPen(QColor("#fff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        damaged = self.cache.damaged(self.key) if self.key else None
        if damaged:
            pill = badges.draw_pill(painter, QRectF(8, 8, 0, 0), "DAMAGED FILE", badges.REJECT, 13)
            painter.setPen(QColor("#ffd7d7"))
            painter.drawText(
                QRectF(pill.right() + 8, pill.top(), self.width() - pill.right() - 16, pill.height()),
                Qt.AlignmentFlag.AlignVCenter,
                damaged,
            )

    def zoom_text(self) -> str:
        """What the zoom label says (tests and the benchmark read it)."""
        if self.loading_full() or self.loading_preview():
            return "loading"
        return "fit" if self.zoom.fit else f"{self.zoom.scale * 100:.0f}%"
