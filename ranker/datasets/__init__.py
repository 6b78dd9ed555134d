"""Training and evaluation data: preference pairs for `train`, CLIVE, synthetic and face bursts (stdlib, numpy here)."""

from ranker.datasets.phototriage import (
    DEFAULT_AMBIGUITY_BAND,
    DatasetError,
    PairLine,
    SplitCounts,
    SplitPairs,
    image_name,
    load_pairs,
    parse_pairlist,
)

__all__ = [
    "DEFAULT_AMBIGUITY_BAND",
    "DatasetError",
    "PairLine",
    "SplitCounts",
    "SplitPairs",
    "image_name",
    "load_pairs",
    "parse_pairlist",
]
