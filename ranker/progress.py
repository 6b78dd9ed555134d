"""The one progress record every long-running ranker generator yields."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """What a long job is doing; each front end names every one (the app's status bar, the CLI's bars)."""

    LIST = "list"  # the folder listed: every photo has its id
    SCAN = "scan"  # decoding and features
    RANK = "rank"  # grouping and scoring
    LEARN = "learn"  # fine-tuning on the user's choices
    DOWNLOAD = "download"  # model weights
    EXPORT = "export"  # copying, moving or linking selects


@dataclass(frozen=True)
class Progress:
    """Where a long job stands: `done` of `total` items in `stage`.

    `item` carries an optional result that became ready with this step (a scored photo,
    an exported file) so front ends can stream results instead of waiting for the end.
    """

    stage: Stage
    done: int
    total: int
    message: str = ""
    item: Any = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Cancelled(Exception):
    """Raised inside a generator when its cancel event was set."""


def check_cancel(cancel: threading.Event | None) -> None:
    """Stop cleanly between items when the front end asked to cancel."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()
