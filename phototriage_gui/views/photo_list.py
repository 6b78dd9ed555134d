"""The burst strip and the grid: list views over the filtered photos that follow and set the current photo."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListView, QVBoxLayout, QWidget

from phototriage_gui.models.photo_model import FilteredPhotos, PhotoListModel, PhotoRole
from phototriage_gui.session import Session
from phototriage_gui.views.thumbnail_delegate import ThumbnailDelegate

STRIP_CELL = QSize(150, 132)
GRID_CELL = QSize(212, 186)
#: grid thumbnail widths +/- steps through (the cell keeps GRID_CELL's proportions)
GRID_WIDTHS = (132, 172, 212, 268, 340, 430)


class PhotoListView(QListView):
    """Never takes keyboard focus: arrows, digits and letters belong to the window's actions."""

    activated_key = Signal(str)  # double-click: open in the loupe

    def __init__(
        self, session: Session, source: PhotoListModel, cell: QSize, strip: bool, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.session = session
        self.proxy = FilteredPhotos(source, self)
        self.setModel(self.proxy)
        self.delegate = ThumbnailDelegate(cell, self, strip)
        self.setItemDelegate(self.delegate)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        if strip:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(False)
            self.setFixedHeight(cell.height() + self.horizontalScrollBar().sizeHint().height() + 6)
        else:
            self.setViewMode(QListView.ViewMode.IconMode)
            self.setResizeMode(QListView.ResizeMode.Adjust)
            self.setMovement(QListView.Movement.Static)
            self.setSpacing(4)
        self.clicked.connect(self._clicked)
        self.doubleClicked.connect(lambda index: self.activated_key.emit(index.data(PhotoRole).key))
        session.currentChanged.connect(self.follow)
        session.shootChanged.connect(lambda: self.follow(session.current or ""))
        session.filterChanged.connect(lambda: self.follow(session.current or ""))
        self.proxy.layoutChanged.connect(lambda: self.follow(session.current or ""))

    def _clicked(self, index: QModelIndex) -> None:
        photo = index.data(PhotoRole)
        if photo is not None:
            self.session.set_current(photo.key)

    def follow(self, key: str) -> None:
        """Select and reveal the current photo (or clear the selection when the filter hides it)."""
        row = self.proxy.row_of(key) if key else -1
        if row < 0:
            self.clearSelection()
            return
        index = self.proxy.index(row, 0)
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(
            index,
            QAbstractItemView.ScrollHint.PositionAtCenter
            if self.flow() == QListView.Flow.LeftToRight
            else QAbstractItemView.ScrollHint.EnsureVisible,
        )


class BurstStrip(PhotoListView):
    """Bursts in capture order, each best first, under a band that names the burst (brackets in orange)."""

    def __init__(self, session: Session, source: PhotoListModel, parent: QWidget | None = None):
        super().__init__(session, source, STRIP_CELL, strip=True, parent=parent)


class GridView(QWidget):
    """Every photo the filter shows, or only the current burst's."""

    def __init__(self, session: Session, source: PhotoListModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.list = PhotoListView(session, source, GRID_CELL, strip=False, parent=self)
        self.burst_only = QCheckBox("Only this burst", self)
        self.burst_only.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.burst_only.toggled.connect(self._scope)
        self.count = QLabel(self)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 0)
        bar.addWidget(self.burst_only)
        bar.addStretch(1)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.list)
        session.currentChanged.connect(lambda _key: self._scope())
        for signal in (
            self.list.proxy.rowsInserted,
            self.list.proxy.rowsRemoved,
            self.list.proxy.modelReset,
            self.list.proxy.layoutChanged,
        ):
            signal.connect(self._count)

    def change_cell_size(self, step: int) -> None:
        """+/-: larger or smaller thumbnails; the current photo stays in view."""
        widths = GRID_WIDTHS
        now = self.list.delegate.cell.width()
        index = min(range(len(widths)), key=lambda i: abs(widths[i] - now))
        width = widths[max(0, min(len(widths) - 1, index + step))]
        self.list.delegate.cell = QSize(width, round(width * GRID_CELL.height() / GRID_CELL.width()))
        self.list.doItemsLayout()
        self.list.follow(self.session.current or "")

    def _scope(self) -> None:
        photo = self.session.current_photo()
        self.list.proxy.set_burst_only(photo.burst if self.burst_only.isChecked() and photo else None)
        self._count()

    def _count(self, *args: object) -> None:
        total = len(self.session.shoot.photos) if self.session.shoot else 0
        self.count.setText(f"{self.list.proxy.rowCount()} of {total} photos shown")
