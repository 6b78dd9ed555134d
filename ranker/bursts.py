"""Group a shoot into bursts by capture-time gaps refined by visual similarity; spot exposure brackets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class GroupingOptions:
    gap_seconds: float = 3.0  # frames closer than this are one burst if they look alike
    #: a slow series (tripod, landscape) stays one burst across longer gaps if frames look nearly the same
    slow_series_seconds: float = 60.0
    similarity: float = 0.55  # descriptor cosine similarity needed within the gap
    slow_series_similarity: float = 0.85
    bracket_min_frames: int = 3
    bracket_min_step_ev: float = 0.3


@dataclass(frozen=True)
class Shot:
    """What grouping needs to know about one photo."""

    key: int  # the caller's id (catalog photo id)
    time: float  # seconds
    descriptor: np.ndarray  # unit-norm appearance vector (CLIP embedding or the cheap descriptor)
    exposure_bias: float | None = None


@dataclass(frozen=True)
class Group:
    kind: str  # "burst" | "bracket" | "single"
    keys: tuple[int, ...]  # in capture order


def _similar(a: Shot, b: Shot) -> float:
    return float(np.dot(a.descriptor, b.descriptor))


def _belongs(previous: Shot, current: Shot, options: GroupingOptions) -> bool:
    gap = current.time - previous.time
    similarity = _similar(previous, current)
    if gap <= options.gap_seconds:
        return similarity >= options.similarity
    return gap <= options.slow_series_seconds and similarity >= options.slow_series_similarity


def _split_brackets(run: list[Shot], options: GroupingOptions) -> list[Group]:
    """Pull out runs of consecutive frames whose exposure bias steps each frame (AEB sequences)."""
    groups: list[Group] = []
    pending: list[Shot] = []
    i = 0
    while i < len(run):
        j = i + 1
        while (j < len(run) and run[j].exposure_bias is not None and run[j - 1].exposure_bias is not None
               and abs(run[j].exposure_bias - run[j - 1].exposure_bias) >= options.bracket_min_step_ev):
            j += 1
        if j - i >= options.bracket_min_frames:
            if pending:
                groups.append(_group(pending))
                pending = []
            groups.append(Group("bracket", tuple(s.key for s in run[i:j])))
            i = j
        else:
            pending.append(run[i])
            i += 1
    if pending:
        groups.append(_group(pending))
    return groups


def _group(shots: list[Shot]) -> Group:
    return Group("burst" if len(shots) > 1 else "single", tuple(s.key for s in shots))


def group_shots(shots: Sequence[Shot], options: GroupingOptions = GroupingOptions()) -> list[Group]:
    """One pass in time order, comparing each frame with the previous one only: O(n), never all pairs."""
    ordered = sorted(shots, key=lambda s: (s.time, s.key))
    groups: list[Group] = []
    run: list[Shot] = []
    for shot in ordered:
        if run and not _belongs(run[-1], shot, options):
            groups.extend(_split_brackets(run, options))
            run = []
        run.append(shot)
    if run:
        groups.extend(_split_brackets(run, options))
    return groups
