"""Burst grouping alone (group_shots) on synthetic shots of 1,000 to 100,000 photos."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.common import timed
from benchmarks.speed.photos import FRAMES_PER_BURST


def grouping_benchmark(counts: Sequence[int], seed: int) -> dict:
    """group_shots alone on synthetic shots: O(n) by design (each frame meets only its predecessors)."""
    from ranker.bursts import Shot, group_shots

    rng = np.random.default_rng(seed)
    out = {}
    for n in counts:
        scenes = rng.normal(size=(n // FRAMES_PER_BURST + 1, 256)).astype(np.float32)
        shots = []
        for i in range(n):
            vector = scenes[i // FRAMES_PER_BURST] + 0.2 * rng.normal(size=256).astype(np.float32)
            shots.append(
                Shot(i, 60.0 * (i // FRAMES_PER_BURST) + 0.3 * (i % FRAMES_PER_BURST), vector / np.linalg.norm(vector))
            )
        seconds, groups = timed(lambda: group_shots(shots))
        out[str(n)] = {"seconds": seconds, "us_per_photo": 1e6 * seconds / n, "groups": len(groups)}
    return out
