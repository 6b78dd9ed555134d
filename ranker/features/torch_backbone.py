"""Shared machinery for frozen torch backbones: lazy load, preprocessing from the spec, batched inference."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from ranker.device import autocast, select_device
from ranker.features.base import FeatureExtractor
from ranker.features.preprocess import Preprocess
from ranker.features.weights import WeightsSpec

__all__ = ["Preprocess", "TorchBackboneExtractor"]


class TorchBackboneExtractor(FeatureExtractor):
    """A frozen network loaded on first use; subclasses build the module and map a batch to features."""

    batch_size = 32

    def __init__(self, weights: WeightsSpec, preprocess: Preprocess, device: str = "auto"):
        self.weights = weights
        self.preprocess = preprocess
        self.decode_size = max(2 * preprocess.image_size, 256)
        self._device_preference = device
        self._module: torch.nn.Module | None = None
        self._device: torch.device | None = None

    def check_available(self) -> None:
        self.weights.require()

    def __getstate__(self) -> dict[str, Any]:
        # A copy sent to another process (a cluster worker) loads its own module on its own device.
        return {**self.__dict__, "_module": None, "_device": None}

    @abstractmethod
    def build(self, weights_path: str) -> torch.nn.Module:
        """Turn the cached weights file into a module (each backbone knows its own format)."""

    @abstractmethod
    def forward(self, module: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        """Map a preprocessed batch to the (N, dim) feature this backbone contributes."""

    def module(self) -> torch.nn.Module:
        if self._module is None:
            path = self.weights.require()
            self._device = select_device(self._device_preference)
            module = self.build(str(path))
            module.eval().requires_grad_(False)
            self._module = module.to(self._device)
        return self._module

    @torch.inference_mode()
    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        module = self.module()
        device = self._device
        assert device is not None  # module() chose it
        outputs = []
        for start in range(0, len(images), self.batch_size):
            batch = torch.stack([self.preprocess(image) for image in images[start : start + self.batch_size]])
            with autocast(device):
                features = self.forward(module, batch.to(device))
            outputs.append(features.float().cpu().numpy())
        if not outputs:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(outputs).astype(np.float32)
