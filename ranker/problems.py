"""A problem to show the user: what was skipped or could not be read, where, and why (no traceback)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One input that was skipped, and why."""

    where: str  # a file path, "picks.jsonl:7", "choice 12" or "catalog"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
