"""Which model ranked a shoot, and why it was chosen: what the CLI, the JSON and the app say about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: active_model's reason when the user's own fine-tuned model ranks (ranker/ml/active_model.py)
PERSONAL_WHY = "your active personal model"


@dataclass(frozen=True)
class ModelInfo:
    label: str  # the checkpoint's name, e.g. "default" or "v3"
    path: str  # the checkpoint file
    why: str  # why this model was chosen ("shipped offline default", "given with --model", ...)
    key: str = ""  # the key its scores are cached under (ranker.ml.active_model.model_key)
    features: tuple[str, ...] = field(default=())  # what it looks at, as the checkpoint names them
    architecture: str | None = None  # the tower's summary, for the curious (tooltips, --json)

    @property
    def personal(self) -> bool:
        """Learned from this user's choices (rather than shipped or given)."""
        return self.why == PERSONAL_WHY

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["features"] = list(self.features)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelInfo:
        """The inverse of to_json (the app's shoot cache); unknown keys are ignored, missing ones default."""
        return cls(
            label=str(data.get("label", "")),
            path=str(data.get("path", "")),
            why=str(data.get("why", "")),
            key=str(data.get("key", "")),
            features=tuple(str(f) for f in data.get("features", ())),
            architecture=data.get("architecture"),
        )
