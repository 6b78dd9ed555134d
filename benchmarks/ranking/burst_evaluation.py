"""One generator's bursts at one level, written and ranked by every baseline and checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from benchmarks.baselines import Scorers
from benchmarks.common import log, timed
from benchmarks.ranking.bursts import build_bursts
from benchmarks.ranking.checkpoints import Checkpoint, checkpoint_scores
from benchmarks.ranking.decoding import decode_batches
from benchmarks.ranking.metrics import evaluate


def evaluate_level(
    work: Path,
    generator: str,
    level: str,
    sources: Sequence[tuple[str, Image.Image]],
    rounds: int,
    scorers: Scorers,
    checkpoints: Sequence[Checkpoint],
    catalog,
    device: str,
    seed: int,
) -> dict:
    """{bursts, pairs, methods: {name: metrics}}: baselines first, then the checkpoints through `rank`."""
    seconds, bursts = timed(lambda: build_bursts(work, generator, level, sources, rounds, seed))
    log(f"{generator} {level}: {len(bursts)} bursts written in {seconds:.1f} s")
    files = [f for b in bursts for f in b.files]
    scores: dict[str, dict[Path, float]] = {}
    for batch_paths, images in decode_batches(files):
        for name, values in scorers.score(images).items():
            scores.setdefault(name, {}).update(zip(batch_paths, values))
    for name in list(scores):
        if name not in scorers.names():
            del scores[name]  # a method that failed part-way (pyiqa) is skipped, not half-counted
    folders = sorted({b.folder for b in bursts})
    for checkpoint in checkpoints:
        seconds, scores[checkpoint.name] = timed(lambda: checkpoint_scores(folders, checkpoint, catalog, device))
        log(f"{generator} {level}: {checkpoint.name} ranked {len(files)} photos in {seconds:.1f} s")
    order = [*scorers.names(), *(c.name for c in checkpoints)]
    return {
        "bursts": len(bursts),
        "pairs": sum(len(b.files) - 1 for b in bursts),
        "methods": {name: evaluate(bursts, scores[name], seed) for name in order if name in scores},
    }
