"""The local engine: photos decoded and analysed a window at a time in this process's thread pool."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
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


def _decode(
    pending: Job, max_size: int, per_photo: Sequence[FeatureExtractor]
) -> tuple[tuple[Image.Image, PhotoMetadata, dict[str, np.ndarray]] | None, str | None]:
    """Runs in the decode pool: decoding, the hand-crafted signals and every per-photo extractor (numpy,
    scipy, Pillow and LiteRT release the GIL) use every core. The signals are cached on the image, so
    the extractors that read them reuse them."""
    try:
        image, meta = load_photo(pending.decode_path, max_size=max_size)
    except ImageLoadError as exc:
        return None, exc.reason
    quality_signals(image)
    vectors = {e.name: e.extract([image])[0] for e in per_photo if e.name in pending.missing}
    return (image, meta, vectors), None


class LocalEngine:
    """This process: a window of photos decoded and analysed in the thread pool (per-photo extractors
    included), then the batched extractors (backbones) on the window."""

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
        # Listed a window at a time, after the previous one is written: a copy of a photo in a later
        # window is then found in the cache instead of being decoded again.
        while window := list(islice(jobs, WINDOW)):
            with ThreadPoolExecutor(max_workers=self.decode_workers) as pool:
                decoded = list(pool.map(lambda p: _decode(p, decode_size, per_photo), window))
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
            yield [(item, outcomes.get(id(item)) or cast(str, failure)) for item, (_, failure) in zip(window, decoded)]

    def close(self) -> None:
        pass
