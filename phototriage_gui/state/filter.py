"""What the filter bar lets through (flags, stars, faces), and a problem shown in the Problems panel (no Qt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ranker.decisions import Decision, Flag

FLAG_FILTERS = ("all", "picks", "rejects", "unflagged")
#: face filters: any photo, photos where someone blinks, where a face is soft, or with faces and neither
FACE_FILTERS = ("any", "eyes closed", "face soft", "faces fine")


@dataclass(frozen=True)
class Filter:
    flag: str = "all"  # one of FLAG_FILTERS
    min_rating: int = 0
    faces: str = "any"  # one of FACE_FILTERS

    def accepts(self, decision: Decision, signals: Mapping[str, Any] | None = None) -> bool:
        wanted = {
            "all": True,
            "picks": decision.flag == Flag.PICK,
            "rejects": decision.flag == Flag.REJECT,
            "unflagged": decision.flag is None,
        }[self.flag]
        return wanted and decision.rating >= self.min_rating and self._faces_ok(signals or {})

    def _faces_ok(self, signals: Mapping[str, Any]) -> bool:
        closed, soft = signals.get("eyes_closed", 0) > 0, signals.get("faces_soft", 0) > 0
        return {
            "any": True,
            "eyes closed": closed,
            "face soft": soft,
            "faces fine": signals.get("faces", 0) > 0 and not closed and not soft,
        }[self.faces]
