"""CLIP image embeddings (open_clip), L2-normalised: what the photo shows, not how well it is exposed."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ranker.features.preprocess import OPENAI_MEAN, OPENAI_STD, Preprocess
from ranker.features.torch_backbone import TorchBackboneExtractor
from ranker.features.weights import WeightsSpec

__all__ = ["OPENAI_MEAN", "OPENAI_STD", "ClipExtractor"]


class ClipExtractor(TorchBackboneExtractor):
    """open_clip `arch` with its image tower only; `dim` must match the architecture's embed_dim."""

    def __init__(
        self,
        name: str,
        arch: str,
        dim: int,
        version: str,
        weights: WeightsSpec,
        preprocess: Preprocess,
        device: str = "auto",
    ):
        super().__init__(weights, preprocess, device)
        self.name, self.arch, self.dim, self.version = name, arch, dim, version

    def build(self, weights_path: str) -> torch.nn.Module:
        import open_clip  # ~6 s to import: only when a CLIP model is really needed

        # pretrained= a local file path: open_clip loads it with weights_only and never reaches the hub.
        model = open_clip.create_model(self.arch, pretrained=weights_path, device="cpu")
        visual: torch.nn.Module = model.visual  # open_clip ships no type information
        return visual

    def forward(self, module: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = module(batch)
        return F.normalize(embedding.float(), dim=-1)
