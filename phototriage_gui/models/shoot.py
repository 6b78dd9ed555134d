"""The shoot as the GUI sees it: photos in strip order, grouped into bursts, before and after ranking (no Qt)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ranker.decisions import Decision
from ranker.ml.model_info import ModelInfo

if TYPE_CHECKING:
    from ranker.culling.shoot_ranking import ShootRanking
    from ranker.io.scan import PhotoFiles

#: the burst kind shown while the worker is still grouping and ranking
PENDING = "pending"


@dataclass(frozen=True)
class PhotoItem:
    key: str  # the primary file's path: stable before and after ranking
    paths: tuple[Path, ...]
    decode_path: Path  # the camera JPEG of a RAW+JPEG pair, faster to show
    photo_id: int | None = None  # None until the catalog knows the photo
    burst: int = 0  # index into Shoot.bursts
    rank: int | None = None  # 1 = suggested best of its burst
    score: float | None = None
    signals: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    #: each face as ranker.features.face_context.FaceVerdict.to_json(): box (fractions of the photo), verdicts
    faces: tuple[dict, ...] = ()
    quality: float | None = None  # calibrated 0-100 technical quality (ranker.ml.quality)
    #: quality points each group of model inputs weighed against #1 (#2 for #1): ranker.ml.attribution
    effects: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.paths[0].name


@dataclass(frozen=True)
class Burst:
    number: int  # as the catalog numbers it (capture order); 0 while pending
    kind: str  # "burst" | "bracket" | "single" | PENDING
    keys: tuple[str, ...]  # best first once ranked, file order while pending
    confidence: str | None = None  # "clear pick" | "close call" once ranked (bursts of 2+)


@dataclass
class Shoot:
    root: Path
    photos: list[PhotoItem]  # strip order: bursts in capture order, each best first
    bursts: list[Burst]
    ranked: bool = False
    model: ModelInfo | None = None  # None until ranked
    by_key: dict[str, PhotoItem] = field(init=False)
    index: dict[str, int] = field(init=False)
    by_id: dict[int, PhotoItem] = field(init=False)

    def __post_init__(self) -> None:
        self.by_key = {p.key: p for p in self.photos}
        self.index = {p.key: i for i, p in enumerate(self.photos)}
        self.by_id = {p.photo_id: p for p in self.photos if p.photo_id is not None}

    def burst_of(self, key: str) -> Burst:
        return self.bursts[self.by_key[key].burst]

    def burst_ids(self, burst: Burst) -> list[int]:
        """Catalog ids of a burst's photos, best first (photos not analysed yet are left out)."""
        ids = (self.by_key[k].photo_id for k in burst.keys)
        return [pid for pid in ids if pid is not None]


def _key(path: Path) -> str:
    return os.fsdecode(path)


def pending_shoot(root: Path, discovered: Iterable[PhotoFiles], known_ids: dict[str, int]) -> Shoot:
    """What `ranker.io.scan.discover` found, shown at once as one unranked group in file order."""
    photos = []
    for files in discovered:
        key = _key(files.primary)
        photos.append(PhotoItem(key, tuple(files.paths), files.decode_path, known_ids.get(key)))
    bursts = [Burst(0, PENDING, tuple(p.key for p in photos))] if photos else []
    return Shoot(Path(root), photos, bursts)


def ranked_shoot(ranking: ShootRanking, previous: Shoot | None = None) -> Shoot:
    """The ShootRanking as strip order: bursts by capture time, each burst best first."""
    decode_paths = {p.key: p.decode_path for p in previous.photos} if previous else {}
    ordered = sorted(ranking.bursts, key=lambda b: (min(p.capture_ts for p in b.photos), b.number))
    photos: list[PhotoItem] = []
    bursts: list[Burst] = []
    for index, burst in enumerate(ordered):
        keys = []
        for ranked in burst.photos:
            key = _key(ranked.paths[0])
            keys.append(key)
            photos.append(
                PhotoItem(
                    key,
                    tuple(ranked.paths),
                    decode_paths.get(key, _decode_path(ranked.paths)),
                    ranked.photo_id,
                    index,
                    ranked.rank,
                    ranked.score,
                    dict(ranked.signals),
                    dict(ranked.metadata),
                    tuple(f.to_json() for f in ranked.faces),
                    ranked.quality,
                    dict(ranked.effects),
                )
            )
        bursts.append(Burst(burst.number, burst.kind, tuple(keys), burst.confidence))
    return Shoot(Path(ranking.root), photos, bursts, ranked=True, model=ranking.model)


def new_leaders(before: Shoot, after: Shoot) -> tuple[int, int]:
    """(bursts whose #1 changed, bursts compared) between two rankings of the same photos: what a new model
    changed, in the photographer's terms. Only bursts of 2+ with the same members on both sides count."""
    leaders = {frozenset(b.keys): b.keys[0] for b in before.bursts if b.kind == "burst" and len(b.keys) > 1}
    changed = compared = 0
    for burst in after.bursts:
        old = leaders.get(frozenset(burst.keys)) if burst.kind == "burst" and len(burst.keys) > 1 else None
        if old is not None:
            compared += 1
            changed += old != burst.keys[0]
    return changed, compared


def _decode_path(paths: tuple[Path, ...]) -> Path:
    from ranker.io.scan import PhotoFiles

    return PhotoFiles(tuple(paths)).decode_path


def decisions_from(ranking: ShootRanking) -> dict[int, Decision]:
    return {p.photo_id: p.decision for b in ranking.bursts for p in b.photos}
