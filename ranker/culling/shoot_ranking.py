"""A ranked shoot as the CLI, the app and exports read it: ShootRanking of RankedBursts of RankedPhotos."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ranker.bursts import BurstKind
from ranker.decisions import Decision
from ranker.features.face_context import FaceVerdict
from ranker.io.load_errors import printable_path
from ranker.ml.model_info import ModelInfo


@dataclass(frozen=True)
class LoadFailure:
    path: Path
    reason: str


@dataclass(frozen=True)
class RankedPhoto:
    photo_id: int
    paths: tuple[Path, ...]
    rank: int  # 1 = best of its burst
    score: float
    signals: dict[str, float]
    decision: Decision
    metadata: dict[str, Any]  # PhotoMetadata.as_dict()
    capture_ts: float
    #: each face judged against the same person in the rest of the burst, largest first
    faces: tuple[FaceVerdict, ...] = ()
    #: calibrated 0-100 technical quality (ranker.ml.quality), comparable across bursts and shoots
    quality: float | None = None
    #: what each group of the model's inputs weighed against the frame it is compared with (#2 for
    #: #1, else #1), in quality points (ranker.ml.attribution); empty for a photo alone
    effects: dict[str, float] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.paths[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": printable_path(self.path),
            "files": [printable_path(p) for p in self.paths],
            "rank": self.rank,
            "score": round(self.score, 6),
            "quality": None if self.quality is None else round(self.quality, 1),
            "signals": {k: round(v, 6) for k, v in self.signals.items()},
            "effects": {k: round(v, 1) for k, v in self.effects.items()},
            "faces": [face.to_json() for face in self.faces],
            "flag": self.decision.flag,
            "rating": self.decision.rating,
            "label": self.decision.label,
            # as another tool named the label ("Rot", "Approved"), and darktable's further colour labels
            "label_name": self.decision.label_name,
            "more_labels": list(self.decision.more_labels),
        }


@dataclass(frozen=True)
class RankedBurst:
    number: int
    kind: BurstKind
    photos: tuple[RankedPhoto, ...]  # best first
    #: how clear the lead of #1 is: "clear pick" | "close call"; None for a single photo
    confidence: str | None = None
    lead: float | None = None  # score of #1 minus #2

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.number,
            "kind": self.kind,
            "confidence": self.confidence,
            "lead": None if self.lead is None else round(self.lead, 4),
            "photos": [p.to_json() for p in self.photos],
        }


@dataclass(frozen=True)
class ShootRanking:
    root: Path
    model: ModelInfo
    bursts: tuple[RankedBurst, ...]
    errors: tuple[LoadFailure, ...] = field(default=())
    stats: dict[str, Any] = field(default_factory=dict)  # ScanStats: counts for the CLI summary, XMP changes
    notices: tuple[str, ...] = ()  # catalog problems met on the way (a damaged decision row), each naming its file

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model.to_json(),
            "bursts": [b.to_json() for b in self.bursts],
            "errors": [{"path": printable_path(e.path), "error": e.reason} for e in self.errors],
        }

    def photo(self, photo_id: int) -> RankedPhoto:
        for burst in self.bursts:
            for photo in burst.photos:
                if photo.photo_id == photo_id:
                    return photo
        raise KeyError(photo_id)
