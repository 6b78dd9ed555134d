"""Decoded previews and thumbnails: an LRU of QImages filled by a decode pool, with prefetch of neighbours."""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from phototriage_gui.workers import Worker
from ranker.io import preview
from ranker.io.load_errors import ImageLoadError

THUMB = 256  # long side of strip and grid thumbnails
FULL = 0  # full resolution, for 100% zoom

#: decodes running at once; Pillow and libjpeg release the GIL, so this matches the decode pool's threads
IN_FLIGHT = 2
#: prefetch decodes start this long after they are asked for: the key press that asked paints its photo
#: first, without two decode threads competing with the UI thread for the cores and the GIL
PREFETCH_DELAY_MS = 30


#: the bytes of Qt's RGB32 (0xffRRGGBB in a native 32-bit word): images are decoded straight into it, and
#: the raster engine paints RGB32 with no conversion (a third of RGB888's cost: 19 vs 58 ms for 6 MP)
PIXEL_ORDER = "BGRX" if sys.byteorder == "little" else "XRGB"
#: a preview is enlarged to the view's exact size only by this much: past it, it would only look blurred
MAX_ENLARGE = 1.25


@dataclass(frozen=True)
class Decoded:
    """What a pool thread hands back. QImage is reentrant: it is made and scaled in the pool, so the
    UI thread only stores it."""

    image: QImage
    full_size: tuple[int, int]
    damaged: str | None = None


def _ignore_cancel(job: Callable[[], Decoded], _cancel: threading.Event) -> Decoded:
    return job()  # one photo's decode is short and cannot be interrupted midway


def _decode(path: Path, size: int, preview_size: int, box: tuple[int, int] | None = None) -> Decoded:
    """The file's pixels, written by libjpeg-turbo (or copied from ranker.io.preview's rendering) into a
    QImage's own memory, then scaled once on Qt's smooth scaler (13 ms for 6 MP where Pillow's bilinear
    took 66 ms) to the size the view draws them at."""
    made: list[QImage] = []

    def allocate(width: int, height: int) -> memoryview:
        image = QImage(width, height, QImage.Format.Format_RGB32)
        if image.isNull():
            raise ImageLoadError(path, f"not enough memory for {width}×{height} pixels")
        made.append(image)
        return memoryview(image.bits())  # the stubs allow bytes; PySide6 gives a writable view

    if size == FULL:
        long_side = None
    elif size == preview_size and box is not None:
        long_side = min(preview_size, max(box))  # no bigger than the view: a small window decodes less
    else:
        long_side = size
    # ranker.io.preview: a RAW is one rendering at every size, so 100% never changes its look
    placed = preview.render_pixels(path, allocate, long_side, order=PIXEL_ORDER, thumbnail=size == THUMB)
    image = made[-1]
    if size != FULL:
        image = scaled(
            image, display_size(placed.size, placed.full_size, long_side, box if size == preview_size else None)
        )
    return Decoded(image, placed.full_size, placed.damaged)


def _from_full(full: QImage, full_size: tuple[int, int], preview_size: int, box: tuple[int, int] | None) -> Decoded:
    """A preview made from full-resolution pixels already in memory: a scale, not a second decode (nor,
    for a RAW, a second LibRaw render)."""
    size = (full.width(), full.height())
    return Decoded(scaled(full, display_size(size, full_size, preview_size, box)), full_size)


def fit_size(full_size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size a photo is shown at when it fits `box` (never enlarged past 100%), as ImageView draws it."""
    scale = min(box[0] / full_size[0], box[1] / full_size[1], 1.0)
    return max(1, round(full_size[0] * scale)), max(1, round(full_size[1] * scale))


def display_size(
    decoded: tuple[int, int], full_size: tuple[int, int], long_side: int | None, box: tuple[int, int] | None
) -> tuple[int, int]:
    """What the pool makes of `decoded` pixels: exactly the size the view draws at fit when `box` is
    known (painting is then a blit, not a smooth scale on the UI thread), else the decode brought within
    `long_side` (a DCT-scaled decode may be up to twice as large)."""
    if box is not None and full_size[0] and full_size[1]:
        target = fit_size(full_size, box)
        if target[0] <= decoded[0] * MAX_ENLARGE:
            return target
    if long_side is not None and max(decoded) > long_side:
        scale = long_side / max(decoded)
        return max(1, round(decoded[0] * scale)), max(1, round(decoded[1] * scale))
    return decoded


def scaled(image: QImage, size: tuple[int, int]) -> QImage:
    """`image` at `size` on Qt's smooth scaler (area averaging when reducing); the same image when it fits."""
    if (image.width(), image.height()) == size:
        return image
    return image.scaled(
        size[0], size[1], Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


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
        # Timers owned by the cache: they die with it, so a pump queued before the window closed never runs
        # on a deleted cache (a bare QTimer.singleShot would).
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.timeout.connect(self._pump)
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(PREFETCH_DELAY_MS)
        self._prefetch_timer.timeout.connect(self._pump)
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
        self._schedule(urgent)

    def prefetch(self, keys: Iterable[str], size: int) -> None:
        """Replace queued previews with these, in order (the current photo first): moving fast through
        a shoot must not leave a backlog of photos the user already passed."""
        self._queue = [job for job in self._queue if job[1] != size]
        for key in keys:
            self.request(key, size)

    def idle(self) -> bool:
        return not self._queue and not self._running

    def _schedule(self, urgent: bool = True) -> None:
        # Decodes start from the event loop, never inside a paint or a model's data() call.
        if urgent and not self._pump_timer.isActive():
            self._pump_timer.start(0)
        elif not urgent and not self._pump_timer.isActive() and not self._prefetch_timer.isActive():
            self._prefetch_timer.start()

    def _pump(self) -> None:
        self._pump_timer.stop()
        self._prefetch_timer.stop()
        index = 0
        while index < len(self._queue) and len(self._running) < IN_FLIGHT:
            key, size = job = self._queue[index]
            if size == self.preview_size and self._full_pending(key):
                # Scaled from the full pixels once they land: decoding the file twice at once would
                # halve the cores for the full decode the 100% view waits for.
                index += 1
                continue
            self._queue.pop(index)
            if self.get(key, size) is not None:
                continue  # made meanwhile (from a full decode that finished)
            full = self.get(key, FULL) if size == self.preview_size else None
            if full is not None:
                job_fn = partial(_from_full, full, self._full_size[key], self.preview_size, self.fit_box)
            else:
                job_fn = partial(_decode, self._paths[key], size, self.preview_size, self.fit_box)
            worker = Worker(partial(_ignore_cancel, job_fn), self)
            self._running[job] = worker
            worker.result.connect(lambda decoded, job=job: self._store(job, decoded))
            worker.error.connect(lambda exc, job=job: self._fail(job, exc))
            worker.finished.connect(lambda job=job: self._done(job))
            worker.start(self.pool)

    def _full_pending(self, key: str) -> bool:
        return (key, FULL) in self._running or (key, FULL) in self._queue

    def _store(self, job: tuple[str, int], decoded: Decoded) -> None:
        key, size = job
        self._lru_for(size).put(job, decoded.image)
        self._full_size[key] = decoded.full_size
        if decoded.damaged:
            self._damaged[key] = decoded.damaged
        if size == FULL:
            # The 100% pixels go on screen first; the preview for fit is scaled from them afterwards, a
            # job of its own behind those queued, so it never delays a sharp view.
            self.request(key, self.preview_size)

    def _fail(self, job: tuple[str, int], exc: Exception) -> None:
        self._errors[job] = exc.reason if isinstance(exc, ImageLoadError) else str(exc)

    def _done(self, job: tuple[str, int]) -> None:
        worker = self._running.pop(job, None)
        if worker is not None:
            # Drop its connections now: their lambdas hold this cache, and released later inside the
            # worker's destructor they could free an unparented cache (as tests make) and with it, a
            # second time, the worker being destroyed (a crash in ~QObject).
            for signal in (worker.result, worker.error, worker.finished):
                signal.disconnect()
            worker.deleteLater()
        self.ready.emit(*job)
        if self._queue:
            self._schedule()
