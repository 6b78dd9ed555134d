"""Top-1 and pairwise accuracy with bootstrap intervals, and the verdict against the baselines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.baselines import BASELINES
from benchmarks.ranking.bursts import Burst
from benchmarks.ranking.checkpoints import DEFAULT_NAME


def credit(winner: float, loser: float) -> float:
    return 1.0 if winner > loser else 0.5 if winner == loser else 0.0


def burst_outcomes(
    bursts: Sequence[Burst], scores: dict[Path, float]
) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
    """Per burst: top-1 credit, and (defect kind, pair credit) for each defective frame."""
    top1, pairs = [], []
    for burst in bursts:
        values = [scores[f] for f in burst.files]
        best = scores[burst.best]
        leaders = [f for f, v in zip(burst.files, values) if v == max(values)]
        top1.append((burst.best in leaders) / len(leaders))
        pairs.append(
            [
                (defect.split(":")[0], credit(best, scores[f]))
                for f, defect in zip(burst.files, burst.defects)
                if f != burst.best
            ]
        )
    return np.asarray(top1, dtype=np.float64), pairs


def bootstrap_ci(per_unit: Sequence[Sequence[float]], seed: int, rounds: int = 1000) -> tuple[float, float]:
    """95% percentile interval of the pooled mean, resampling units (bursts or pairs)."""
    sums = np.asarray([sum(u) for u in per_unit], dtype=np.float64)
    counts = np.asarray([len(u) for u in per_unit], dtype=np.float64)
    if len(sums) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), size=(rounds, len(sums)))
    means = sums[picks].sum(axis=1) / np.maximum(counts[picks].sum(axis=1), 1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate(bursts: Sequence[Burst], scores: dict[Path, float], seed: int) -> dict:
    top1, pairs = burst_outcomes(bursts, scores)
    flat = [c for burst in pairs for _, c in burst]
    kinds: dict[str, list[float]] = {}
    for burst in pairs:
        for kind, c in burst:
            kinds.setdefault(kind, []).append(c)
    return {
        "top1": float(top1.mean()),
        "top1_ci95": bootstrap_ci([[t] for t in top1], seed),
        "pairwise": float(np.mean(flat)),
        "pairwise_ci95": bootstrap_ci([[c for _, c in b] for b in pairs], seed + 1),
        "pairwise_by_defect": {k: {"accuracy": float(np.mean(v)), "pairs": len(v)} for k, v in sorted(kinds.items())},
    }


def verdict(levels: dict) -> dict:
    """Does the default checkpoint beat every baseline, on both metrics, at every level?"""
    result = {"beats_every_baseline": True, "details": []}
    if not levels or any(DEFAULT_NAME not in data["methods"] for data in levels.values()):
        return {"beats_every_baseline": False, "details": ["the default checkpoint was not evaluated"]}
    for level, data in levels.items():
        methods = data["methods"]
        mine = methods.get(DEFAULT_NAME)
        for baseline in BASELINES:
            other = methods.get(baseline)
            if mine is None or other is None:
                continue
            for metric in ("top1", "pairwise"):
                ok = mine[metric] > other[metric]
                if not ok:
                    result["beats_every_baseline"] = False
                    result["details"].append(
                        f"{level}: {metric} {mine[metric]:.3f} is not above {baseline} {other[metric]:.3f}"
                    )
    return result
