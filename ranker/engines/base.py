"""The seam between the pipeline and whatever computes features: jobs in, analysed photos out, in batches."""

from __future__ import annotations

import importlib.util
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ranker.errors import UsageError
from ranker.features.base import FeatureExtractor
from ranker.io.photo_metadata import PhotoMetadata

#: the engines `--engine` accepts; "local" is the desktop's thread pool in ranker.engines.local_engine
ENGINES = ("local", "ray")


class Job(Protocol):
    """What an engine needs of one photo to analyse (the pipeline's pending item)."""

    @property
    def decode_path(self) -> Path: ...

    #: names of the extractors without cached features for this photo
    missing: list[str]


@dataclass(frozen=True)
class Analysed:
    """One photo's analysis: EXIF, the hand-crafted signals and a vector per missing extractor."""

    meta: PhotoMetadata
    signals: dict[str, float]
    vectors: dict[str, np.ndarray]


#: an engine's answer for one job: its analysis, or the reason it failed (shown with the file's path)
Outcome = Analysed | str


class FeatureEngine(Protocol):
    """Turns jobs into outcomes. The pipeline stays the one writer: it commits each yielded batch in
    one transaction as it arrives, so a batch is either wholly in the catalog or not at all."""

    #: a generator: the pipeline closes it to stop the engine at once (on cancel or an error)
    def analyse(
        self,
        jobs: Iterable[Job],
        extractors: Sequence[FeatureExtractor],
        decode_size: int,
    ) -> Generator[list[tuple[Job, Outcome]], None, None]: ...

    def close(self) -> None: ...


def engine_for(name: str, address: str | None = None) -> FeatureEngine | None:
    """The engine called `name`; None means the pipeline's own local pool. Ray is imported only here,
    only when asked for: the desktop app and every other command never load it."""
    if name == "local":
        if address:
            raise UsageError("--address needs --engine ray")
        return None
    if name == "ray":
        if importlib.util.find_spec("ray") is None:
            raise UsageError("--engine ray needs Ray: pip install 'phototriage[cluster]'")
        from ranker.engines.ray_engine import RayEngine

        return RayEngine(address=address)
    raise UsageError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
