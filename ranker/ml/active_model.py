"""Which checkpoint ranks photos: an explicit file, the user's active personal model, a full-feature
model when its backbones are cached, or the shipped offline default."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ranker.features.registry import get_spec
from ranker.ml.checkpoint import CheckpointError, LoadedCheckpoint, load_checkpoint
from ranker.ml.model_info import PERSONAL_WHY
from ranker.paths import data_dir, resources_dir

DEFAULT_CHECKPOINT_NAME = "default_ranker.pt"
#: a checkpoint over CLIP/CNN features, used when present and its backbones are cached
FULL_CHECKPOINT_NAME = "full_ranker.pt"


def default_checkpoint_path() -> Path:
    return resources_dir() / DEFAULT_CHECKPOINT_NAME


def personal_dir() -> Path:
    path = data_dir() / "personal_models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def active_personal_path() -> Path | None:
    """The personal model the user activated, if any (its id is kept in personal_models/active.json)."""
    pointer = personal_dir() / "active.json"
    if not pointer.exists():
        return None
    try:
        model_id = json.loads(pointer.read_text())["active"]
    except (ValueError, KeyError, OSError):
        return None
    path = personal_dir() / f"{model_id}.pt"
    return path if model_id and path.exists() else None


def _backbones_ready(checkpoint: LoadedCheckpoint) -> bool:
    return all(get_spec(feature["name"]).is_ready() for feature in checkpoint.feature_set)


def model_key(path: Path) -> str:
    """Scores are cached per model file content, so retraining invalidates them automatically."""
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=8).hexdigest()


def resolve_model(explicit: Path | str | None = None) -> tuple[LoadedCheckpoint, str]:
    """(checkpoint, why it was chosen). An explicit or personal model that cannot run is an error,
    never silently replaced; the automatic choice falls back to the shipped default."""
    if explicit is not None:
        checkpoint = load_checkpoint(explicit)
        _require_backbones(checkpoint)
        return checkpoint, "given with --model"
    personal = active_personal_path()
    if personal is not None:
        checkpoint = load_checkpoint(personal)
        _require_backbones(checkpoint)
        return checkpoint, PERSONAL_WHY
    full = data_dir() / "models" / FULL_CHECKPOINT_NAME
    if full.exists():
        try:
            checkpoint = load_checkpoint(full)
            if _backbones_ready(checkpoint):
                return checkpoint, "full-feature model (CLIP/CNN weights cached)"
        except CheckpointError:
            pass  # an outdated full model must not stop ranking; the default still works
    return load_checkpoint(default_checkpoint_path()), "shipped offline default"


def _require_backbones(checkpoint: LoadedCheckpoint) -> None:
    for feature in checkpoint.feature_set:
        get_spec(feature["name"]).require()  # a cache check: no backbone is imported or loaded
