"""Frozen feature extractors (hand-crafted IQA, CLIP, ResNet-50 layer3, pyiqa metrics) behind one registry
(data only: importing this package loads no extractor module and no torch)."""

from ranker.errors import ModelMissingError
from ranker.features.base import FeatureExtractor
from ranker.features.registry import ExtractorSpec, all_specs, get_extractor, get_spec

__all__ = ["ExtractorSpec", "FeatureExtractor", "ModelMissingError", "all_specs", "get_extractor", "get_spec"]
