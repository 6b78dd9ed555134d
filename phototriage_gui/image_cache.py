"""Decoded previews and thumbnails: an LRU of QImages filled by a decode pool, with prefetch of neighbours."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from phototriage_gui.workers import Worker
from ranker import preview
from ranker.images import ImageLoadError

THUMB = 256  # long side of strip and grid thumbnails
FULL = 0  # full resolution, for 100% zoom

#: decodes running at once; Pillow and libjpeg release the GIL, so this matches the decode pool's threads
IN_FLIGHT = 2


@dataclass(frozen=True)
class Decoded:
    """What a pool thread hands back. QImage is reentrant: it is made and converted in the pool, so the
    UI thread only stores it."""

    image: QImage
    full_size: tuple[int, int]
    damaged: str | None = None
    preview: QImage | None = None  # a full decode's preview-size copy, made in the pool


def _decode_job(
    path: Path, size: int, preview_size: int, box: tuple[int, int] | None, _cancel: threading.Event
) -> Decoded:
    return _decode(path, size, preview_size, box)


def _decode(path: Path, size: int, preview_size: int, box: tuple[int, int] | None = None) -> Decoded:
    # ranker.preview: a RAW is one rendering at every size, so 100% never changes its look
    shown = preview.render(path, max_size=size or None, thumbnail=size == THUMB)
    smaller = None
    if size == FULL:
        # The full pixels already hold the preview: a cheap resize here spares a second decode (and,
        # for a RAW, a second LibRaw render) when 100% and fit are both wanted.
        smaller = _qimage(_fitted(preview.fit(shown.image, preview_size), shown.full_size, box))
        return Decoded(_qimage(shown.image), shown.full_size, shown.damaged, smaller)
    image = _fitted(shown.image, shown.full_size, box) if size == preview_size else shown.image
    return Decoded(_qimage(image), shown.full_size, shown.damaged)


def fit_size(full_size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size a photo is shown at when it fits `box` (never enlarged past 100%), as ImageView draws it."""
    scale = min(box[0] / full_size[0], box[1] / full_size[1], 1.0)
    return max(1, round(full_size[0] * scale)), max(1, round(full_size[1] * scale))


def _fitted(image, full_size: tuple[int, int], box: tuple[int, int] | None):
    """The preview resized, in the pool, to exactly the size the view shows it at: painting it is then a
    blit (8 ms for 6 MP) instead of a smooth scale on the UI thread (19-76 ms)."""
    if box is None or not full_size[0] or not full_size[1]:
        return image
    target = fit_size(full_size, box)
    if target == image.size or target[0] > image.width * 1.25:
        return image  # already right, or the preview is far too small to stretch
    from PIL import Image

    return image.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _qimage(image) -> QImage:
    """RGB32, the raster engine's own format: drawing it costs a third of RGB888 (measured 19 vs 58 ms
    for a 6 MP photo scaled to fit), so a prefetched step is a blit, not a conversion."""
    data = image.tobytes()
    rgb = QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888)
    return rgb.convertToFormat(QImage.Format.Format_RGB32)  # a new image that owns its pixels


class _Lru:
    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.items: collections.OrderedDict[tuple[str, int], QImage] = collections.OrderedDict()
        self.bytes = 0

    def get(self, key) -> QImage | None:
        image = self.items.get(key)
        if image is not None:
            self.items.move_to_end(key)
        return image

    def put(self, key, image: QImage) -> None:
        old = self.items.pop(key, None)
        if old is not None:
            self.bytes -= old.sizeInBytes()
        self.items[key] = image
        self.bytes += image.sizeInBytes()
        while self.bytes > self.budget and len(self.items) > 1:
            _, evicted = self.items.popitem(last=False)
            self.bytes -= evicted.sizeInBytes()


class ImageCache(QObject):
    """`get` answers at once from memory; `request`/`prefetch` queue decodes. Thumbnails and previews
    have separate budgets so scrolling a 20k-photo grid never evicts the previews around the current photo."""

    ready = Signal(str, int)  # key, size (emitted for failures too: `error(key, size)` says why)

    def __init__(
        self,
        pool: Any,
        preview_size: int = 2048,
        preview_budget_mb: int = 640,
        thumb_budget_mb: int = 192,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.pool = pool
        self.preview_size = preview_size
        self._lru = {THUMB: _Lru(thumb_budget_mb << 20), "big": _Lru(preview_budget_mb << 20)}
        self._paths: dict[str, Path] = {}
        self._full_size: dict[str, tuple[int, int]] = {}
        self._damaged: dict[str, str] = {}
        self._errors: dict[tuple[str, int], str] = {}
        self._queue: list[tuple[str, int]] = []  # urgent first
        self._running: dict[tuple[str, int], Worker] = {}
        self._pump_scheduled = False
        self.fit_box: tuple[int, int] | None = None  # the photo views' size: previews are made to fit it

    def set_fit_box(self, box: tuple[int, int] | None) -> None:
        """The views now show photos in `box` (pixels): previews made for another size are dropped, so
        prefetch makes them again at the size that paints fastest."""
        if box == self.fit_box:
            return
        self.fit_box = box
        big = self._lru["big"]
        for job in [job for job in big.items if job[1] == self.preview_size]:
            big.bytes -= big.items.pop(job).sizeInBytes()

    def _lru_for(self, size: int) -> _Lru:
        return self._lru[THUMB] if size == THUMB else self._lru["big"]

    def set_paths(self, paths: dict[str, Path]) -> None:
        """key → file to decode. Queued decodes of photos no longer shown are dropped; the same shoot
        re-ranked keeps its queue, so views that asked before the reset still get their images."""
        self._paths = dict(paths)
        self._queue = [job for job in self._queue if job[0] in self._paths]

    def get(self, key: str, size: int) -> QImage | None:
        return self._lru_for(size).get((key, size))

    def best(self, key: str) -> QImage | None:
        """The most detailed image of `key` in memory (full, then preview, then thumbnail)."""
        candidates = [self.get(key, FULL), self.get(key, self.preview_size), self.get(key, THUMB)]
        return next((c for c in candidates if c is not None), None)

    def full_size(self, key: str) -> tuple[int, int] | None:
        return self._full_size.get(key)

    def damaged(self, key: str) -> str | None:
        """Why the file decoded with errors (known once any size of it was decoded), else None."""
        return self._damaged.get(key)

    def loading(self, key: str, size: int) -> bool:
        return (key, size) in self._running or (key, size) in self._queue

    def error(self, key: str, size: int) -> str | None:
        return self._errors.get((key, size))

    def request(self, key: str, size: int, urgent: bool = False) -> None:
        job = (key, size)
        if key not in self._paths or job in self._errors or job in self._running or self.get(key, size):
            return
        if job in self._queue:
            if not urgent:
                return
            self._queue.remove(job)
        if urgent:
            self._queue.insert(0, job)
        else:
            self._queue.append(job)
        self._schedule()

    def prefetch(self, keys: Iterable[str], size: int) -> None:
        """Replace queued previews with these, in order (the current photo first): moving fast through
        a shoot must not leave a backlog of photos the user already passed."""
        self._queue = [job for job in self._queue if job[1] != size]
        for key in keys:
            self.request(key, size)

    def idle(self) -> bool:
        return not self._queue and not self._running

    def _schedule(self) -> None:
        # Decodes start from the event loop, never inside a paint or a model's data() call.
        if not self._pump_scheduled:
            self._pump_scheduled = True
            QTimer.singleShot(0, self._pump)

    def _pump(self) -> None:
        self._pump_scheduled = False
        while self._queue and len(self._running) < IN_FLIGHT:
            key, size = job = self._queue.pop(0)
            if self.get(key, size) is not None:
                continue  # a full decode that finished meanwhile brought this preview along
            worker = Worker(partial(_decode_job, self._paths[key], size, self.preview_size, self.fit_box), self)
            self._running[job] = worker
            worker.result.connect(lambda decoded, job=job: self._store(job, decoded))
            worker.error.connect(lambda exc, job=job: self._fail(job, exc))
            worker.finished.connect(lambda job=job: self._done(job))
            worker.start(self.pool)

    def _store(self, job: tuple[str, int], decoded: Decoded) -> None:
        key, size = job
        self._lru_for(size).put(job, decoded.image)
        if decoded.preview is not None and self.get(key, self.preview_size) is None:
            self._lru_for(self.preview_size).put((key, self.preview_size), decoded.preview)
            self.ready.emit(key, self.preview_size)
        self._full_size[key] = decoded.full_size
        if decoded.damaged:
            self._damaged[key] = decoded.damaged

    def _fail(self, job: tuple[str, int], exc: Exception) -> None:
        self._errors[job] = exc.reason if isinstance(exc, ImageLoadError) else str(exc)

    def _done(self, job: tuple[str, int]) -> None:
        worker = self._running.pop(job, None)
        if worker is not None:
            worker.deleteLater()
        self.ready.emit(*job)
        if self._queue:
            self._schedule()
