"""Spearman and Pearson correlation of every method with human MOS on a CLIVE split."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.baselines import Scorers
from benchmarks.ranking.checkpoints import Checkpoint, checkpoint_photo_scores
from benchmarks.ranking.decoding import DECODE_SIZE


def run_clive(checkpoints: Sequence[Checkpoint], scorers: Scorers, split: str | None, root: Path | None = None) -> dict:
    """Spearman and Pearson against MOS on one CLIVE split (the held-out `test` unless told), or on every
    photo of ROOT (split None: a CLIVE-layout folder none of whose photos trained anything here)."""
    from scipy.stats import pearsonr, spearmanr

    from ranker.datasets import clive
    from ranker.io.images import load_image

    root = root or clive.default_root()
    photos = clive.load(root, split)
    mos = np.asarray([p.mos for p in photos])
    scores: dict[str, list[float]] = {}
    for start in range(0, len(photos), 32):
        images = [load_image(p.path, max_size=DECODE_SIZE) for p in photos[start : start + 32]]
        for name, values in scorers.score(images).items():
            scores.setdefault(name, []).extend(values)
    for checkpoint in checkpoints:
        scores[checkpoint.name] = list(checkpoint_photo_scores(checkpoint, [p.path for p in photos]))
    methods = {}
    for name, values in scores.items():
        values = np.asarray(values, dtype=np.float64)
        if len(values) != len(mos):
            continue  # a method that failed part-way (pyiqa) is skipped, not half-counted
        methods[name] = {
            "spearman": float(spearmanr(values, mos).statistic),
            "pearson": float(pearsonr(values, mos).statistic),
        }
    return {"split": split or "all", "photos": len(photos), "root": str(root), "methods": methods}
