"""Bursts from the held-out photos, by the independent generator (benchmarks/degrade.py) or the training one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

LEVEL_ORDER = ("clear", "subtle")
GENERATORS = ("independent", "training")
FRAMES = 5  # training-generator bursts; the independent generator draws 3-5


@dataclass
class Burst:
    level: str
    source: str
    folder: Path
    files: list[Path]
    best: Path
    defects: list[str]  # "kind:strength" per file


def build_bursts(
    work: Path, generator: str, level: str, sources: Sequence[tuple[str, Image.Image]], rounds: int, seed: int
) -> list[Burst]:
    """`rounds` shoot folders per level, each with one burst per source; every round has its own seed."""
    bursts = []
    for round_ in range(rounds):
        rng = np.random.default_rng([seed, GENERATORS.index(generator), LEVEL_ORDER.index(level), round_])
        folder = work / generator / level / f"round{round_:02d}"
        if generator == "independent":
            from benchmarks.degrade import write_shoot as write_independent

            for truth in write_independent(folder, list(sources), rng, level):
                bursts.append(Burst(level, truth["source"], folder, truth["files"], truth["best"], truth["defects"]))
            continue
        from ranker.datasets.synthetic import write_shoot

        for truth in write_shoot(folder, list(sources), rng, level=level, frames=FRAMES):
            bursts.append(
                Burst(
                    level,
                    truth["source"],
                    folder,
                    [folder / f for f in truth["files"]],
                    folder / truth["best"],
                    truth["defects"],
                )
            )
    return bursts
