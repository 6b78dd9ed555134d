"""The one small interface every feature extractor implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image


class FeatureExtractor(ABC):
    """Turns decoded photos into fixed-size float32 vectors.

    `version` changes whenever the numbers would change (weights, preprocessing, formula),
    so the catalog's cache keyed by (photo, name, version) never serves stale features.
    """

    name: str
    dim: int
    version: str
    #: long side, in pixels, of the decoded image this extractor wants (reduced-size decoding)
    decode_size: int
    #: extract() works photo by photo on the CPU and is thread-safe (hand-crafted signals, faces, the
    #: descriptor): the local engine runs it in the decode pool next to decoding, not on a whole batch.
    per_photo: bool = False

    def check_available(self) -> None:
        """Raise ModelMissingError (fast, offline) when this extractor cannot run."""
        return None  # extractors without weights can always run

    @abstractmethod
    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Return an (N, dim) float32 array for N RGB images."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "dim": self.dim, "version": self.version}
