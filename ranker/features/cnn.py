"""ResNet-50 layer3 features (torchvision), global-average-pooled: mid-level texture and structure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchvision.models.resnet import Bottleneck, ResNet

from ranker.features.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from ranker.features.torch_backbone import TorchBackboneExtractor
from ranker.features.weights import WeightsSpec

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "ResNetLayer3Extractor"]


class ResNetLayer3Extractor(TorchBackboneExtractor):
    """Bottleneck ResNet run up to layer3 (1024 channels); `blocks` (3, 4, 6, 3) is ResNet-50."""

    dim = 1024

    def __init__(
        self,
        name: str,
        version: str,
        weights: WeightsSpec,
        preprocess: Preprocess,
        blocks: Sequence[int] = (3, 4, 6, 3),
        device: str = "auto",
    ):
        super().__init__(weights, preprocess, device)
        self.name, self.version, self.blocks = name, version, tuple(blocks)

    def build(self, weights_path: str) -> torch.nn.Module:
        model = ResNet(Bottleneck, list(self.blocks))
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        # layer4 and fc are never run; dropping them saves ~60% of the memory.
        model.layer4 = torch.nn.Identity()
        model.fc = torch.nn.Identity()
        built: torch.nn.Module = model  # torchvision ships no type information
        return built

    def forward(self, module: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        net: Any = module  # the ResNet built above: its stages are attributes torch's stubs cannot see
        x: torch.Tensor = net.maxpool(net.relu(net.bn1(net.conv1(batch))))
        x = net.layer3(net.layer2(net.layer1(x)))
        return x.mean(dim=(2, 3))
