"""The checkpoints the benchmark evaluates (default, --model, cached backbones) and their scores through `rank`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_NAME = "default checkpoint"
#: feature sets that need downloaded backbones: (row name, features that define it)
BACKBONE_SETS = (
    ("CLIP checkpoint", ("clip",)),
    ("CNN checkpoint", ("cnn",)),
    ("combined checkpoint (CLIP+CNN+IQA)", ("clip", "cnn")),
)


@dataclass
class Checkpoint:
    name: str
    path: Path
    label: str
    features: list[str]
    note: str = ""


def find_checkpoints(extra: Sequence[Path]) -> tuple[list[Checkpoint], dict[str, str]]:
    """The default checkpoint, any given with --model, and one per cached backbone feature set.

    Returns (checkpoints to evaluate, {row name: why it was skipped})."""
    from ranker.features.registry import get_spec
    from ranker.ml.active_model import default_checkpoint_path
    from ranker.ml.checkpoint import CheckpointError, load_checkpoint
    from ranker.paths import data_dir

    result = []
    skipped: dict[str, str] = {}
    try:
        default = load_checkpoint(default_checkpoint_path())
        result.append(
            Checkpoint(
                DEFAULT_NAME,
                default.path,
                default.label,
                [f["name"] for f in default.feature_set],
                f"trained on {', '.join(default.info.get('training_photos', [])) or '?'}",
            )
        )
    except CheckpointError as exc:  # e.g. stale after an extractor changed: report it, still run the baselines
        skipped[DEFAULT_NAME] = f"NOT EVALUATED: {exc}"
    given = []
    for path in extra:
        loaded = load_checkpoint(path)  # an explicit file that cannot be used is an error, not a skip
        given.append(
            Checkpoint(
                f"--model {Path(path).name}",
                loaded.path,
                loaded.label,
                [f["name"] for f in loaded.feature_set],
                f"trained on {', '.join(loaded.info.get('training_photos', [])) or 'unknown photos'}",
            )
        )
    result.extend(given)
    candidates = list(given)
    for folder in (data_dir() / "models", data_dir() / "personal_models"):
        for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
            try:
                loaded = load_checkpoint(path)
            except CheckpointError:
                continue
            candidates.append(Checkpoint("", loaded.path, loaded.label, [f["name"] for f in loaded.feature_set]))
    for row, needed in BACKBONE_SETS:
        missing = [name for name in needed if not get_spec(name).is_ready()]
        if missing:
            skipped[row] = (
                f"skipped: {', '.join(missing)} weights not cached (`phototriage models download {missing[0]}`)"
            )
            continue
        wanted = set(needed)
        match = next((c for c in candidates if {"clip", "cnn"} & set(c.features) == wanted), None)
        if match is None:
            skipped[row] = "skipped: weights cached but no checkpoint over this feature set found (pass --model PATH)"
        elif match.name:  # already evaluated as an explicit --model
            skipped[row] = f"see {match.name}"
        else:
            result.append(Checkpoint(row, match.path, match.label, match.features, f"found at {match.path}"))
    return result, skipped


def checkpoint_scores(folders: Sequence[Path], checkpoint: Checkpoint, catalog, device: str) -> dict[Path, float]:
    """Scores from the real `rank` pipeline (scan → cached features → group → score)."""
    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run

    scores: dict[Path, float] = {}
    for folder in folders:
        ranking = run(rank_shoot(folder, catalog, model_path=checkpoint.path, options=PipelineOptions(device=device)))
        if ranking.errors:
            raise RuntimeError(
                f"{folder}: the pipeline could not read {len(ranking.errors)} file(s): {ranking.errors[:3]}"
            )
        for burst in ranking.bursts:
            for photo in burst.photos:
                scores[Path(photo.path)] = photo.score
    return scores


def checkpoint_photo_scores(checkpoint: Checkpoint, paths: Sequence[Path]) -> np.ndarray:
    """Model scores for single photos (no burst), decoded and extracted as `rank` does."""
    import torch

    from ranker.default_model import photo_rows
    from ranker.ml.checkpoint import load_checkpoint

    loaded = load_checkpoint(checkpoint.path)
    with torch.inference_mode():
        return loaded.model(torch.from_numpy(photo_rows(list(paths), loaded.model.config))).numpy()
