"""The local engine: photos decoded and analysed a window at a time in this process's thread pool."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, cast

import numpy as np

from ranker.engines.base import Analysed, Job, Outcome
from ranker.features.base import FeatureExtractor
from ranker.features.iqa import quality_signals
from ranker.io.images import load_photo
from ranker.io.load_errors import ImageLoadError
from ranker.io.photo_metadata import PhotoMetadata

if TYPE_CHECKING:
    from PIL import Image

#: Photos decoded and extracted together: bounds memory (decoded images) while batching the backbones.
WINDOW = 32


#: a decode's result: (image, metadata, per-photo vectors) or None, and None or the failure
_Decoded = tuple[tuple["Image.Image", PhotoMetadata, dict[str, np.ndarray]] | None, str | None]


def _decode(pending: Job, max_size: int, per_photo: Sequence[FeatureExtractor]) -> _Decoded:
    """Runs in the decode pool: decoding, the hand-crafted signals and every per-photo extractor (NumPy,
    OpenCV, Pillow and LiteRT's invoke release the GIL) use every core. The signals are cached on the
    image, so the extractors that read them reuse them."""
    try:
        image, meta = load_photo(pending.decode_path, max_size=max_size)
    except ImageLoadError as exc:
        return None, exc.reason
    quality_signals(image)
    vectors = {e.name: e.extract([image])[0] for e in per_photo if e.name in pending.missing}
    return (image, meta, vectors), None


class LocalEngine:
    """This process: a window of photos decoded and analysed in the thread pool (per-photo extractors
    included), then the batched extractors (backbones) on the window. The next window is listed and
    queued before this one's results go back, so the pool keeps working while the caller lists photos
    and writes results (about 7% of a first rank on the main thread): the caller must not hand out a
    photo whose content is still in flight (ranker.culling.pipeline defers such copies)."""

    def __init__(self, decode_workers: int):
        self.decode_workers = decode_workers

    def analyse(
        self,
        jobs: Iterable[Job],
        extractors: Sequence[FeatureExtractor],
        decode_size: int,
    ) -> Generator[list[tuple[Job, Outcome]], None, None]:
        jobs = iter(jobs)
        per_photo = [e for e in extractors if e.per_photo]
        batched = [e for e in extractors if not e.per_photo]
        pool = ThreadPoolExecutor(max_workers=self.decode_workers)

        def queued(window: list[Job]) -> list[Future[_Decoded]]:
            return [pool.submit(_decode, job, decode_size, per_photo) for job in window]

        try:
            window = list(islice(jobs, WINDOW))
            pending = queued(window)
            while window:
                upcoming = list(islice(jobs, WINDOW))
                upcoming_pending = queued(upcoming)
                yield self._outcomes(window, [f.result() for f in pending], batched)
                window, pending = upcoming, upcoming_pending
        finally:  # a cancelled or failed run leaves no queued decode behind
            pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _outcomes(
        window: list[Job], decoded: list[_Decoded], batched: Sequence[FeatureExtractor]
    ) -> list[tuple[Job, Outcome]]:
        """The window's outcomes, the batched extractors run on its decoded photos first."""
        # _decode gives a result exactly when it gives no failure
        ready = [
            (item, *cast("tuple[Image.Image, PhotoMetadata, dict[str, np.ndarray]]", result))
            for item, (result, failure) in zip(window, decoded)
            if failure is None
        ]
        images = [image for _, image, _, _ in ready]
        vectors: dict[str, dict[int, np.ndarray]] = {}
        for extractor in batched:
            need = [i for i, (item, _, _, _) in enumerate(ready) if extractor.name in item.missing]
            if need:
                vectors[extractor.name] = dict(zip(need, extractor.extract([images[i] for i in need])))
        outcomes = {
            id(item): Analysed(
                meta,
                quality_signals(image),
                {**local, **{name: found[i] for name, found in vectors.items() if i in found}},
            )
            for i, (item, image, meta, local) in enumerate(ready)
        }
        # a job without an outcome is one that failed to decode: it has its failure
        return [(item, outcomes.get(id(item)) or cast(str, failure)) for item, (_, failure) in zip(window, decoded)]

    def close(self) -> None:
        pass
