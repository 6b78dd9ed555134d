"""The one typed table of feature extractors: name → dimensions, weights, licence, constructor."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ranker.features.base import FeatureExtractor
from ranker.features.clip import OPENAI_MEAN, OPENAI_STD, ClipExtractor
from ranker.features.cnn import IMAGENET_MEAN, IMAGENET_STD, ResNetLayer3Extractor
from ranker.features.descriptor import DescriptorExtractor
from ranker.features.iqa import (
    ClippingExtractor,
    ExposureProfileExtractor,
    IqaExtractor,
    NoiseExtractor,
)
from ranker.features.pyiqa_metric import PyiqaMetricExtractor, metric_is_ready
from ranker.features.torch_backbone import Preprocess
from ranker.features.weights import WeightsSpec


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    dim: int
    description: str
    licence: str
    create: Callable[[str], FeatureExtractor] = field(repr=False)  # device preference → extractor
    weights: WeightsSpec | None = None
    #: checks that a file offered by `models import` really holds these weights
    validate: Callable[[Path], None] | None = field(default=None, repr=False)

    def is_ready(self) -> bool:
        if self.name.startswith("pyiqa:"):
            return metric_is_ready(self.name.split(":", 1)[1])
        return self.weights is None or self.weights.is_cached()


def _require_keys(*keys: str) -> Callable[[Path], None]:
    def validate(path: Path) -> None:
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as handle:
                names = set(handle.keys())
        else:
            import torch

            state = torch.load(path, map_location="cpu", weights_only=True)
            names = set(state.get("state_dict", state))
        missing = [key for key in keys if key not in names]
        if missing:
            raise ValueError(f"missing tensors {missing}")

    return validate


CLIP_WEIGHTS = WeightsSpec(
    name="clip",
    filename="open_clip-ViT-B-32-laion2b_s34b_b79k.safetensors",
    url="https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main/open_clip_model.safetensors",
    licence="MIT (LAION / OpenCLIP)",
    size_bytes=605_000_000,
)
CNN_WEIGHTS = WeightsSpec(
    name="cnn",
    filename="resnet50-11ad3fa6.pth",
    url="https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
    licence="BSD-3-Clause (torchvision IMAGENET1K_V2)",
    size_bytes=102_540_417,
    sha256_prefix="11ad3fa6",
)
CLIP_PREPROCESS = Preprocess(224, OPENAI_MEAN, OPENAI_STD)
CNN_PREPROCESS = Preprocess(224, IMAGENET_MEAN, IMAGENET_STD)

_SPECS: dict[str, ExtractorSpec] = {}


def register(spec: ExtractorSpec) -> ExtractorSpec:
    _SPECS[spec.name] = spec
    return spec


register(ExtractorSpec("iqa", 4, "sharpness, exposure, colourfulness, contrast (hand-crafted)", "project (MIT)",
                       lambda device: IqaExtractor()))
register(ExtractorSpec("noise", 1, "sensor noise σ, Immerkær estimator (hand-crafted)", "project (MIT)",
                       lambda device: NoiseExtractor()))
register(ExtractorSpec("clipping", 2, "blown highlights and crushed shadows (hand-crafted)", "project (MIT)",
                       lambda device: ClippingExtractor()))
register(ExtractorSpec("exposure_profile", 4, "brightness (EV), well-exposedness, highlight and shadow clipping "
                       "(hand-crafted)", "project (MIT)", lambda device: ExposureProfileExtractor()))
register(ExtractorSpec("descriptor", 256, "16×16 appearance thumbnail for burst grouping", "project (MIT)",
                       lambda device: DescriptorExtractor()))
register(ExtractorSpec(
    "clip", 512, "open_clip ViT-B-32 laion2b_s34b_b79k image embedding", CLIP_WEIGHTS.licence,
    lambda device: ClipExtractor("clip", "ViT-B-32", 512, "laion2b_s34b_b79k-1", CLIP_WEIGHTS, CLIP_PREPROCESS, device),
    weights=CLIP_WEIGHTS, validate=_require_keys("visual.conv1.weight", "visual.proj"),
))
register(ExtractorSpec(
    "cnn", 1024, "torchvision ResNet-50 layer3, global average pooled", CNN_WEIGHTS.licence,
    lambda device: ResNetLayer3Extractor("cnn", "imagenet1k_v2-1", CNN_WEIGHTS, CNN_PREPROCESS, device=device),
    weights=CNN_WEIGHTS, validate=_require_keys("conv1.weight", "layer3.0.conv1.weight", "fc.weight"),
))
register(ExtractorSpec("pyiqa:piqe", 1, "pyiqa PIQE (no weights needed)", "pyiqa (CC BY-NC-SA 4.0 code)",
                       lambda device: PyiqaMetricExtractor("piqe", device)))


def get_spec(name: str) -> ExtractorSpec:
    """The spec for `name`; any `pyiqa:<metric>` is accepted; unknown names suggest the closest."""
    if name in _SPECS:
        return _SPECS[name]
    if name.startswith("pyiqa:") and len(name) > len("pyiqa:"):
        metric = name.split(":", 1)[1]
        return ExtractorSpec(name, 1, f"pyiqa {metric}", "see pyiqa",
                             lambda device, metric=metric: PyiqaMetricExtractor(metric, device))
    close = difflib.get_close_matches(name, list(_SPECS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise KeyError(f"unknown feature extractor {name!r}.{hint} Known: {', '.join(sorted(_SPECS))}, pyiqa:<metric>")


def all_specs() -> list[ExtractorSpec]:
    return list(_SPECS.values())


_instances: dict[tuple[str, str], FeatureExtractor] = {}


def get_extractor(name: str, device: str = "auto") -> FeatureExtractor:
    """One live extractor per (name, device): backbones are loaded once per process."""
    key = (name, device)
    if key not in _instances:
        _instances[key] = get_spec(name).create(device)
    return _instances[key]


def forget_extractors() -> None:
    """Drop loaded backbones (frees memory; tests use it after swapping weights)."""
    _instances.clear()
