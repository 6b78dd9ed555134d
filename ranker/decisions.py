"""The user's verdict on one photo: flag, star rating and colour label (Lightroom's vocabulary)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

FLAGS = (None, "pick", "reject")
LABELS = (None, "red", "yellow", "green", "blue", "purple")


@dataclass(frozen=True)
class Decision:
    flag: str | None = None  # "pick" | "reject" | None
    rating: int = 0  # 0-5 stars
    label: str | None = None  # red / yellow / green / blue / purple

    def __post_init__(self) -> None:
        if self.flag not in FLAGS:
            raise ValueError(f"flag must be one of {FLAGS}, not {self.flag!r}")
        if isinstance(self.rating, bool) or not isinstance(self.rating, int) or not 0 <= self.rating <= 5:
            raise ValueError(f"rating must be an int 0-5, not {self.rating!r}")
        if self.label is not None:
            object.__setattr__(self, "label", str(self.label).lower())  # "Red" from XMP is our "red"
        if self.label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, not {self.label!r}")

    @property
    def is_empty(self) -> bool:
        return self.flag is None and self.rating == 0 and self.label is None

    def with_(self, **changes: Any) -> Decision:
        return replace(self, **changes)
