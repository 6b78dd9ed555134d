"""Save and load ranker checkpoints with everything needed to trust them: architecture, feature set, training config.

Loading needs no torch: the file is read with ranker.io.torch_file (an allow-list unpickler) and scored
with ranker.ml.numpy_ranker; the torch module is built only when something trains or fine-tunes it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ranker.errors import CheckpointError
from ranker.io import torch_file
from ranker.io.files import replacing
from ranker.ml.model_config import MultiFeatureConfig
from ranker.ml.numpy_ranker import NumpyRanker, check_state

if TYPE_CHECKING:
    from ranker.ml.model import MultiFeaturePairwiseRanker

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "LoadedCheckpoint",
    "feature_set_of",
    "load_checkpoint",
    "save_checkpoint",
]

#: Bumped when the payload layout changes; older layouts are refused with a clear message.
CHECKPOINT_FORMAT = 2


@dataclass
class LoadedCheckpoint:
    path: Path
    config: MultiFeatureConfig
    #: the weights as float32 NumPy arrays, keyed like MultiFeaturePairwiseRanker.state_dict()
    state: dict[str, np.ndarray]
    feature_set: list[dict[str, Any]]  # [{"name", "version", "dim"(, "burst_context": True)}] in input order
    metadata: dict[str, Any]
    training_config: dict[str, Any]
    info: dict[str, Any]  # free-form provenance: how it was made, held-out agreement, ...

    @functools.cached_property
    def scorer(self) -> NumpyRanker:
        return NumpyRanker(self.config, self.state)

    def score(self, features: np.ndarray) -> np.ndarray:
        """(N, input_dim) model inputs → (N,) scores, without torch."""
        return self.scorer(features)

    @functools.cached_property
    def model(self) -> MultiFeaturePairwiseRanker:
        """The torch module (eval mode), built on first use: training and fine-tuning need it, scoring does not."""
        import torch

        from ranker.ml.model import MultiFeaturePairwiseRanker

        model = MultiFeaturePairwiseRanker(self.config)
        model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in self.state.items()})
        return model.eval()

    @property
    def feature_labels(self) -> list[str]:
        """The input features by name, burst-relative ones marked: ['iqa', 'exposure_profile vs burst']."""
        return [f"{f['name']} vs burst" if f.get("burst_context") else f["name"] for f in self.feature_set]

    @property
    def label(self) -> str:
        """How outputs name the active model, e.g. 'default (iqa+noise)'."""
        return f"{self.info.get('name', self.path.stem)} ({'+'.join(self.feature_labels)})"


def feature_set_of(config: MultiFeatureConfig) -> list[dict[str, Any]]:
    """The exact features a model consumes, with the extractor versions current in this install."""
    from ranker.features.registry import get_spec

    result = []
    for name, dim, context in _input_entries(config):
        get_spec(name)  # unknown names fail here, at save time, not later at load time
        entry = {"name": name, "dim": dim, "version": _extractor_version(name)}
        result.append({**entry, "burst_context": True} if context else entry)
    return result


def _input_entries(config: MultiFeatureConfig) -> list[tuple[str, int, bool]]:
    """(name, dim, burst-relative?) for every feature block of the model's input, in order."""
    return [(name, dim, False) for name, dim in config.feature_layout] + [
        (name, dim, True) for name, dim in config.context_layout
    ]


def _extractor_version(name: str) -> str:
    from ranker.features.registry import feature_version

    return feature_version(name)


def save_checkpoint(
    path: Path | str,
    model: MultiFeaturePairwiseRanker,
    training_config: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves a half-written model behind."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "architecture": model.get_architecture_metadata(),
        "config": model.config.to_dict(),
        "feature_set": feature_set_of(model.config),
        "normalization": {"mean": model.feature_mean.tolist(), "std": model.feature_std.tolist()},
        "training_config": dict(training_config or {}),
        "info": {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **(info or {})},
    }
    with replacing(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path: Path | str, check_versions: bool = True) -> LoadedCheckpoint:
    """Load with weights_only=True and check architecture, feature set and versions before use."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    payload = _read(path)
    if not isinstance(payload, dict) or "model_state_dict" not in payload:
        raise CheckpointError(path, "not a PhotoTriage checkpoint (no model_state_dict)")
    architecture = payload.get("architecture") or {}
    kind = architecture.get("architecture_type", payload.get("architecture_type", "mlp"))
    if kind != "siamese":
        raise CheckpointError(
            path,
            f"an old non-Siamese {kind!r} model; this version ranks with the Siamese architecture only. "
            "Retrain it with `phototriage train --dataset DIR` (or `phototriage learn` for a personal model).",
        )
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            path,
            f"checkpoint format {payload.get('format')} is not the supported "
            f"{CHECKPOINT_FORMAT}; retrain it with this version",
        )
    config_data = dict(payload["config"])
    for key in ("extra_features", "extra_dims", "mlp_hidden_dims", "burst_context", "context_dims"):
        config_data[key] = tuple(config_data.get(key, ()))
    config = MultiFeatureConfig(**config_data)
    feature_set = list(payload.get("feature_set") or [])
    expected = _input_entries(config)
    if [(f["name"], f["dim"], bool(f.get("burst_context"))) for f in feature_set] != expected:
        raise CheckpointError(
            path,
            f"its feature set {feature_set} does not match its architecture {expected}; "
            "the file is inconsistent: retrain",
        )
    if check_versions:
        for feature in feature_set:
            current = _extractor_version(feature["name"])
            if feature["version"] != current:
                raise CheckpointError(
                    path,
                    f"it was trained on {feature['name']} features version {feature['version']}, but this "
                    f"install computes version {current}; its scores would be meaningless. Retrain it.",
                )
    state = payload["model_state_dict"]
    try:
        if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
            raise ValueError("model_state_dict is not a mapping of tensors")
        check_state(config, state)
    except ValueError as exc:
        raise CheckpointError(path, f"weights do not fit the recorded architecture ({exc})") from exc
    return LoadedCheckpoint(
        path,
        config,
        {key: np.asarray(v, dtype=np.float32) for key, v in state.items()},
        feature_set,
        architecture,
        dict(payload.get("training_config") or {}),
        dict(payload.get("info") or {}),
    )


def _read(path: Path) -> Any:
    """The payload with tensors as NumPy arrays: torch-free when the file holds only what
    save_checkpoint writes; anything else goes through torch.load(weights_only=True), which decides."""
    try:
        return torch_file.load(path)
    except torch_file.UnsupportedTorchFile:
        pass
    except OSError as exc:
        raise CheckpointError(path, f"cannot read it ({exc.strerror or exc})") from exc
    import torch

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign or damaged files
        raise CheckpointError(path, f"not a readable PyTorch checkpoint ({exc.__class__.__name__}: {exc})") from exc
    return _to_numpy(payload, torch.Tensor)


def _to_numpy(value: Any, tensor_type: Any) -> Any:
    if isinstance(value, tensor_type):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {key: _to_numpy(item, tensor_type) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(item, tensor_type) for item in value)
    return value
