"""Qt item models over the open shoot: every photo in strip order, and the filtered view of it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from phototriage_gui.image_cache import THUMB, ImageCache
from phototriage_gui.models.shoot import PhotoItem
from phototriage_gui.session import Session

PhotoRole = Qt.ItemDataRole.UserRole + 1  # PhotoItem
DecisionRole = Qt.ItemDataRole.UserRole + 2  # Decision
BurstRole = Qt.ItemDataRole.UserRole + 3  # Burst
FirstInBurstRole = Qt.ItemDataRole.UserRole + 4  # bool: the first shown photo of its burst (draw the header)
ThumbErrorRole = Qt.ItemDataRole.UserRole + 5  # why the thumbnail could not be read, or None
LastInBurstRole = Qt.ItemDataRole.UserRole + 6  # bool: the last shown photo of its burst
BurstPositionRole = Qt.ItemDataRole.UserRole + 7  # int: 0-based place among the shown photos of its burst
DamagedRole = Qt.ItemDataRole.UserRole + 8  # str: why the file decoded with errors, or None
StackRole = Qt.ItemDataRole.UserRole + 9  # int: the burst's size when this row is a collapsed stack's cover
#: where a row sits in its burst depends on what the filter shows: FilteredPhotos answers these
_PLACE_ROLES = (FirstInBurstRole, LastInBurstRole, BurstPositionRole)

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the list's invisible root, as Qt's default argument


class PhotoListModel(QAbstractListModel):
    """Rows are Session.shoot.photos; thumbnails are asked of the cache only when a view paints a row."""

    def __init__(self, session: Session, cache: ImageCache, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.cache = cache
        session.shootChanged.connect(self._reset)
        session.decisionsChanged.connect(self._decisions_changed)
        cache.ready.connect(self._image_ready)

    def _photos(self) -> list[PhotoItem]:
        return self.session.shoot.photos if self.session.shoot else []

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._photos())

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        shoot = self.session.shoot
        if shoot is None or not index.isValid() or index.row() >= len(shoot.photos):
            return None
        photo = shoot.photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return photo.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(photo.paths[0])
        if role == Qt.ItemDataRole.DecorationRole:
            image = self.cache.get(photo.key, THUMB)
            if image is None:
                self.cache.request(photo.key, THUMB)
            return image
        if role == PhotoRole:
            return photo
        if role == DecisionRole:
            return self.session.decision(photo.key)
        if role == BurstRole:
            return shoot.bursts[photo.burst]
        if role == ThumbErrorRole:
            return self.cache.error(photo.key, THUMB)
        if role == DamagedRole:
            return self.cache.damaged(photo.key)
        if role == StackRole:
            return self.session.stack_size(photo.key)
        return None

    def row_of(self, key: str) -> int:
        return self.session.shoot.index.get(key, -1) if self.session.shoot else -1

    def _reset(self) -> None:
        self.beginResetModel()
        if self.session.shoot:
            self.cache.set_paths({p.key: p.decode_path for p in self.session.shoot.photos})
        self.endResetModel()

    def _changed(self, key: str, roles: list[int]) -> None:
        row = self.row_of(key)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, roles)

    def _decisions_changed(self, keys: list) -> None:
        for key in keys:
            self._changed(key, [DecisionRole])

    def _image_ready(self, key: str, size: int) -> None:
        if size == THUMB:
            self._changed(key, [Qt.ItemDataRole.DecorationRole, ThumbErrorRole, DamagedRole])


class FilteredPhotos(QSortFilterProxyModel):
    """The photos the filter bar lets through, optionally only the current burst (the grid's toggle)."""

    def __init__(self, source: PhotoListModel, parent: QObject | None = None):
        super().__init__(parent)
        self.session = source.session
        self.burst_only: int | None = None  # index into Shoot.bursts
        self.source = source  # typed: sourceModel() only knows it is a QAbstractItemModel
        self.setSourceModel(source)
        self.setDynamicSortFilter(True)  # a decision that no longer matches drops out at once
        self.session.filterChanged.connect(self.refilter)  # the filter and collapsed stacks
        self._places: list[tuple[int, bool]] | None = None  # per shown row: (place in burst, last of burst?)
        for signal in (self.modelReset, self.layoutChanged, self.rowsInserted, self.rowsRemoved):
            signal.connect(self._forget_places)

    def _forget_places(self, *args: object) -> None:
        self._places = None

    def _burst_places(self) -> list[tuple[int, bool]]:
        """Each shown row's place among the shown photos of its burst, computed once per change of rows:
        a hidden #1 must not take the burst's header with it."""
        if self._places is None:
            bursts = [self.data(self.index(row, 0), PhotoRole).burst for row in range(self.rowCount())]
            places: list[tuple[int, bool]] = []
            for row, burst in enumerate(bursts):
                place = places[-1][0] + 1 if row and bursts[row - 1] == burst else 0
                places.append((place, row + 1 == len(bursts) or bursts[row + 1] != burst))
            self._places = places
        return self._places

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in _PLACE_ROLES and index.isValid() and index.row() < self.rowCount():
            place, last = self._burst_places()[index.row()]
            return place == 0 if role == FirstInBurstRole else last if role == LastInBurstRole else place
        return super().data(index, role)

    def set_burst_only(self, burst: int | None) -> None:
        if burst != self.burst_only:
            self.burst_only = burst
            self.refilter()

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        shoot = self.session.shoot
        if shoot is None or row >= len(shoot.photos):
            return False
        photo = shoot.photos[row]
        if self.burst_only is not None and photo.burst != self.burst_only:
            return False
        return self.session.visible(photo.key)

    def row_of(self, key: str) -> int:
        source_row = self.source.row_of(key)
        if source_row < 0:
            return -1
        return self.mapFromSource(self.source.index(source_row)).row()
