"""The errors a user can fix (missing weights, an unusable checkpoint), importable without torch."""

from __future__ import annotations

from pathlib import Path


class ModelMissingError(RuntimeError):
    """A model's weights are not cached; the message names the command that fixes it."""


class WeightsVerificationError(RuntimeError):
    """A downloaded or imported weights file failed its checksum or could not be loaded."""


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message names the file, the reason and what to do."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
