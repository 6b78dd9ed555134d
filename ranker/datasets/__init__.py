"""Public preference datasets the `train` command reads (stdlib + numpy only: importing this is cheap)."""

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
