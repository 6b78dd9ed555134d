"""Learning the user's taste: training pairs from choices and decisions (choices), technical twins that keep
sharp-over-blurred (twins), fine-tuning the active model and the held-out gate before activation (tuning)."""

from __future__ import annotations

from ranker.learning.choices import (
    EXPLICIT_SOURCES,
    SOURCE_WEIGHTS,
    TrainingPair,
    catalog_choices,
    collect_pairs,
    count_sources,
    implied_pair,
    implied_pairs,
    list_shoots,
    merge_pairs,
    read_choices_file,
    shoot_photo_ids,
)
from ranker.learning.tuning import (
    MIN_PAIRS,
    FineTuneConfig,
    FineTuneResult,
    NotEnoughPairs,
    binomial_p_value,
    fine_tune,
    split_holdout,
)
from ranker.learning.twins import TWIN_SHIFTS, technical_agreement, technical_twins

__all__ = [
    "EXPLICIT_SOURCES",
    "FineTuneConfig",
    "FineTuneResult",
    "MIN_PAIRS",
    "NotEnoughPairs",
    "SOURCE_WEIGHTS",
    "TWIN_SHIFTS",
    "TrainingPair",
    "binomial_p_value",
    "catalog_choices",
    "collect_pairs",
    "count_sources",
    "fine_tune",
    "implied_pair",
    "implied_pairs",
    "list_shoots",
    "merge_pairs",
    "read_choices_file",
    "shoot_photo_ids",
    "split_holdout",
    "technical_agreement",
    "technical_twins",
]
