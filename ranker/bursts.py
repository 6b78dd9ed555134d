"""Group a shoot into bursts by capture-time gaps refined by visual similarity; spot exposure brackets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class BurstKind(StrEnum):
    """How photos were grouped: frames of one moment, an exposure bracket, or a photo on its own."""

    BURST = "burst"
    BRACKET = "bracket"
    SINGLE = "single"


#: frames closer than this and alike are one burst (the grouping's and the preferences' default)
DEFAULT_GAP_SECONDS = 3.0


@dataclass(frozen=True)
class GroupingOptions:
    gap_seconds: float = DEFAULT_GAP_SECONDS  # frames closer than this are one burst if they look alike
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
    #: False when the time is the file's mtime (no EXIF): copies made together share one mtime,
    #: so closeness in time proves nothing and only near-identical frames may join
    camera_time: bool = True


@dataclass(frozen=True)
class Group:
    kind: BurstKind
    keys: tuple[int, ...]  # in capture order


def _similar(a: Shot, b: Shot) -> float:
    return float(np.dot(a.descriptor, b.descriptor))


#: a frame is compared with this many latest frames of the running burst: one odd frame
#: (a motion-blurred or badly exposed one) must not split a burst, and the cost stays O(n)
_LOOKBACK = 3


def _belongs(run: list[Shot], current: Shot, options: GroupingOptions) -> bool:
    gap = current.time - run[-1].time
    similarity = max(_similar(previous, current) for previous in run[-_LOOKBACK:])
    if not (current.camera_time and run[-1].camera_time):
        return similarity >= options.slow_series_similarity
    if gap <= options.gap_seconds:
        return similarity >= options.similarity
    return gap <= options.slow_series_seconds and similarity >= options.slow_series_similarity


def _bracket_end(run: list[Shot], start: int, options: GroupingOptions) -> int:
    """End of the AEB sequence starting at `start`: consecutive frames whose exposure bias steps by
    at least the minimum and never repeats (a repeat starts the next sequence or ordinary frames)."""
    seen = {run[start].exposure_bias}
    end = start + 1
    while end < len(run):
        bias, previous = run[end].exposure_bias, run[end - 1].exposure_bias
        if bias is None or previous is None or abs(bias - previous) < options.bracket_min_step_ev or bias in seen:
            break
        seen.add(bias)
        end += 1
    return end


def _split_brackets(run: list[Shot], options: GroupingOptions) -> list[Group]:
    """Pull out exposure-bracket sequences; the frames around them stay ordinary bursts."""
    groups: list[Group] = []
    pending: list[Shot] = []
    i = 0
    while i < len(run):
        end = _bracket_end(run, i, options) if run[i].exposure_bias is not None else i + 1
        if end - i >= options.bracket_min_frames:
            if pending:
                groups.append(_group(pending))
                pending = []
            groups.append(Group(BurstKind.BRACKET, tuple(s.key for s in run[i:end])))
            i = end
        else:
            pending.append(run[i])
            i += 1
    if pending:
        groups.append(_group(pending))
    return groups


def _group(shots: list[Shot]) -> Group:
    return Group(BurstKind.BURST if len(shots) > 1 else BurstKind.SINGLE, tuple(s.key for s in shots))


def group_shots(shots: Sequence[Shot], options: GroupingOptions = GroupingOptions()) -> list[Group]:
    """One pass in time order, comparing each frame with the previous one only: O(n), never all pairs."""
    ordered = sorted(shots, key=lambda s: (s.time, s.key))
    groups: list[Group] = []
    run: list[Shot] = []
    for shot in ordered:
        if run and not _belongs(run, shot, options):
            groups.extend(_split_brackets(run, options))
            run = []
        run.append(shot)
    if run:
        groups.extend(_split_brackets(run, options))
    return groups
