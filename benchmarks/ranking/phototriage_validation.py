"""Pairwise accuracy of every method on the PhotoTriage release's validation pairs (--phototriage DIR)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.baselines import Scorers
from benchmarks.common import log
from benchmarks.ranking.checkpoints import Checkpoint
from benchmarks.ranking.decoding import decode_batches
from benchmarks.ranking.metrics import bootstrap_ci, credit


def phototriage_pairs(root: Path) -> tuple[list[tuple[Path, Path, float]], dict]:
    """(preferred, other, P) for the validation pairs with a clear preference.

    Release layout: train_val/train_val_imgs/SSSSSS-II.JPG and train_val/val_pairlist.txt with lines
    `SERIES A B P ...`, P the share of raters preferring B; pairs with 0.3 <= P <= 0.7 are dropped."""
    base = root / "train_val" if (root / "train_val").is_dir() else root
    pairlist, images = base / "val_pairlist.txt", base / "train_val_imgs"
    if not pairlist.is_file():
        raise SystemExit(f"{root}: no train_val/val_pairlist.txt (expected the PhotoTriage release layout)")
    pairs, stats = [], {"lines": 0, "ambiguous_dropped": 0, "missing_images": 0, "malformed": 0}
    for line in pairlist.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        stats["lines"] += 1
        try:
            series, a, b, p = int(parts[0]), int(parts[1]), int(parts[2]), float(parts[3])
        except (IndexError, ValueError):
            stats["malformed"] += 1
            continue
        if 0.3 <= p <= 0.7:
            stats["ambiguous_dropped"] += 1
            continue
        path_a = images / f"{series:06d}-{a:02d}.JPG"
        path_b = images / f"{series:06d}-{b:02d}.JPG"
        if not (path_a.is_file() and path_b.is_file()):
            stats["missing_images"] += 1
            continue
        pairs.append((path_b, path_a, p) if p > 0.7 else (path_a, path_b, p))
    return pairs, stats


def run_phototriage(
    root: Path, checkpoints: Sequence[Checkpoint], scorers: Scorers, limit: int | None, device: str, seed: int
) -> dict:
    import torch

    from ranker.datasets.phototriage import series_of
    from ranker.features.registry import get_extractor
    from ranker.ml.burst_context import model_rows
    from ranker.ml.checkpoint import load_checkpoint

    pairs, stats = phototriage_pairs(root)
    if limit and len(pairs) > limit:
        keep = np.random.default_rng([seed, 7]).choice(len(pairs), size=limit, replace=False)
        pairs = [pairs[i] for i in sorted(keep)]
    paths = sorted({p for pair in pairs for p in pair[:2]})
    log(f"PhotoTriage: {len(pairs)} clear-preference pairs over {len(paths)} images")
    loaded = {c.name: load_checkpoint(c.path) for c in checkpoints}
    extractors = {f: get_extractor(f, device) for c in loaded.values() for f in c.model.config.extractor_names}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in extractors}
    scores: dict[str, dict[Path, float]] = {}
    for done, (batch_paths, images) in enumerate(decode_batches(paths)):
        for name, values in scorers.score(images).items():
            scores.setdefault(name, {}).update(zip(batch_paths, values))
        for name, extractor in extractors.items():
            vectors[name].append(extractor.extract(images))
        if done % 10 == 0:
            log(f"  scored {min(len(paths), (done + 1) * 32)}/{len(paths)} images")
    features = {name: np.concatenate(parts) for name, parts in vectors.items()}
    series: dict[str, list[int]] = {}  # a series is the dataset's burst
    for row, path in enumerate(paths):
        series.setdefault(series_of(path.name), []).append(row)
    for name, checkpoint in loaded.items():
        inputs = model_rows(
            checkpoint.model.config,
            lambda layout: np.concatenate([features[f] for f, _ in layout], axis=1),
            series.values(),
        )
        with torch.inference_mode():
            values = checkpoint.model(torch.from_numpy(inputs.astype(np.float32))).numpy()
        scores[name] = dict(zip(paths, (float(v) for v in values)))
    methods = {}
    for name, table in scores.items():
        credits = [[credit(table[w], table[loser])] for w, loser, _ in pairs if w in table and loser in table]
        methods[name] = {
            "pairwise": float(np.mean(credits)) if credits else float("nan"),
            "pairwise_ci95": bootstrap_ci(credits, seed),
            "pairs": len(credits),
        }
    return {"root": str(root), "pairs": len(pairs), "images": len(paths), **stats, "methods": methods}
