"""Decoding the benchmark's photos for the baselines, exactly as the pipeline decodes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image

from benchmarks.common import log

DECODE_SIZE = 512  # what the baselines see (the pipeline's analysis size)


def decode_batches(paths: Sequence[Path], batch: int = 32) -> Iterable[tuple[list[Path], list[Image.Image]]]:
    """Decode exactly as the pipeline does (load_photo at the default feature set's size), in batches."""
    from ranker.io.images import load_photo
    from ranker.io.load_errors import ImageLoadError

    for start in range(0, len(paths), batch):
        ok_paths, images = [], []
        for path in paths[start : start + batch]:
            try:
                images.append(load_photo(path, max_size=DECODE_SIZE)[0])
                ok_paths.append(path)
            except ImageLoadError as exc:
                log(f"  skipped {path}: {exc.reason}")
        yield ok_paths, images
