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


class UsageError(ValueError):
    """An option, setting or input the user gave that cannot be used; the message says which and why.

    The commands print it without a traceback. Any other ValueError is a bug and is logged with its
    traceback (ranker.logs), so a programming error is never passed off as the user's mistake.
    """
