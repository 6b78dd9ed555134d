"""The SQLite catalog, the one entry point to it: photos, files, cached features, bursts, scores, decisions, choices."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ranker.decisions import Decision
from ranker.paths import data_dir
from ranker.store import (
    catalog_bursts,
    catalog_cache,
    catalog_choices,
    catalog_decisions,
    catalog_photos,
    catalog_xmp_state,
)
from ranker.store.catalog_db import CatalogDb
from ranker.store.catalog_rows import BurstRow, Choice, DecisionTime, PhotoRecord, XmpState


def default_catalog_path() -> Path:
    return data_dir() / "catalog.db"


class Catalog:
    """The catalog's queries over one CatalogDb (one connection, one lock, every write committed when made).

    Safe to share between the UI thread and one worker thread; `connect` is injectable for tests.
    Each concept's queries live in their own module (ranker.store.catalog_photos, ...); this class names them.
    """

    def __init__(self, path: Path | str | None = None, connect: Callable[..., sqlite3.Connection] = sqlite3.connect):
        self.path = Path(path) if path is not None else default_catalog_path()
        self.db = CatalogDb(self.path, connect)
        self.notices = self.db.notices  # things the user should be told (a corrupt catalog set aside, ...)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many writes (a scan window) into one transaction: one commit instead of hundreds.
        Only for bulk analysis results; user decisions are always committed on their own."""
        with self.db.batch():
            yield

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- photos and files (ranker.store.catalog_photos) -------------------------------------------
    def identify(
        self, groups: Iterable[Sequence[tuple[Path, int, int]]], in_scope: Callable[[Path], bool]
    ) -> list[int]:
        return catalog_photos.identify(self.db, groups, in_scope)

    def adopt(self, photo_id: int, fingerprint: str, in_scope: Callable[[Path], bool]) -> bool:
        return catalog_photos.adopt(self.db, photo_id, fingerprint, in_scope)

    def record_analysis(
        self,
        photo_id: int,
        fingerprint: str,
        capture_ts: float,
        time_source: str,
        metadata: dict[str, Any],
        signals: dict[str, float],
        files: Sequence[tuple[Path, int, int]],
    ) -> None:
        catalog_photos.record_analysis(
            self.db, photo_id, fingerprint, capture_ts, time_source, metadata, signals, files
        )

    def mark_sidecars_read(self, photo_id: int) -> None:
        catalog_photos.mark_sidecars_read(self.db, photo_id)

    def upsert_photo(
        self,
        fingerprint: str,
        capture_ts: float,
        time_source: str,
        metadata: dict[str, Any],
        signals: dict[str, float],
        files: list[tuple[Path, int, int]],
    ) -> int:
        return catalog_photos.upsert_photo(self.db, fingerprint, capture_ts, time_source, metadata, signals, files)

    def forget_files(self, paths: Iterable[Path]) -> None:
        catalog_photos.forget_files(self.db, paths)

    def files_under(self, root: Path) -> list[Path]:
        return catalog_photos.files_under(self.db, root)

    def file_states(self, photo_id: int) -> dict[Path, tuple[int, int]]:
        return catalog_photos.file_states(self.db, photo_id)

    def analysed_like(self, fingerprint: str) -> PhotoRecord | None:
        return catalog_photos.analysed_like(self.db, fingerprint)

    def photo(self, photo_id: int) -> PhotoRecord:
        return catalog_photos.photo(self.db, photo_id)

    def photos(self, photo_ids: Iterable[int]) -> list[PhotoRecord]:
        return [self.photo(pid) for pid in photo_ids]

    def photo_for_path(self, path: Path) -> int | None:
        return catalog_photos.photo_for_path(self.db, path)

    def known_file(self, path: Path) -> tuple[int, int, int] | None:
        return catalog_photos.known_file(self.db, path)

    # -- the analysis cache (ranker.store.catalog_cache) ------------------------------------------
    def get_features(self, fingerprint: str, extractor: str, version: str, dim: int | None = None) -> np.ndarray | None:
        return catalog_cache.get_features(self.db, fingerprint, extractor, version, dim)

    def put_features(self, items: Iterable[tuple[str, str, str, np.ndarray]]) -> None:
        catalog_cache.put_features(self.db, items)

    def put_scores(self, model: str, scores: dict[int, float]) -> None:
        catalog_cache.put_scores(self.db, model, scores)

    def scores(self, model: str, photo_ids: Iterable[int]) -> dict[int, float]:
        return catalog_cache.scores(self.db, model, photo_ids)

    # -- bursts (ranker.store.catalog_bursts) -----------------------------------------------------
    def replace_bursts(self, shoot: str, bursts: list[tuple[str, list[int]]]) -> None:
        catalog_bursts.replace_bursts(self.db, shoot, bursts)

    def shoots(self) -> list[str]:
        return catalog_bursts.shoots(self.db)

    def bursts(self, shoot: str) -> list[BurstRow]:
        return catalog_bursts.bursts(self.db, shoot)

    def burst_mates(self, photo_ids: Iterable[int]) -> list[list[int]]:
        return catalog_bursts.burst_mates(self.db, photo_ids)

    # -- decisions (ranker.store.catalog_decisions) -----------------------------------------------
    def decision(self, photo_id: int) -> Decision:
        return catalog_decisions.decision(self.db, photo_id)

    def decisions(self, photo_ids: Iterable[int]) -> dict[int, Decision]:
        return {pid: self.decision(pid) for pid in photo_ids}

    def has_decision(self, photo_id: int) -> bool:
        return catalog_decisions.has_decision(self.db, photo_id)

    def set_decision(self, photo_id: int, decision: Decision, source: str = "user") -> None:
        catalog_decisions.set_decision(self.db, photo_id, decision, source)

    def decision_updated(self, photo_id: int) -> DecisionTime | None:
        return catalog_decisions.decision_updated(self.db, photo_id)

    # -- pairwise choices (ranker.store.catalog_choices) ------------------------------------------
    def add_choice(self, winner_id: int, loser_id: int, source: str = "compare") -> int:
        return catalog_choices.add_choice(self.db, winner_id, loser_id, source)

    def remove_choice(self, choice_id: int) -> None:
        catalog_choices.remove_choice(self.db, choice_id)

    def choices(self) -> list[Choice]:
        return catalog_choices.choices(self.db)

    # -- XMP read-back state (ranker.store.catalog_xmp_state, for ranker/store/readback.py) -------------
    def xmp_state(self, path: Path) -> XmpState | None:
        return catalog_xmp_state.xmp_state(self.db, path)

    def set_xmp_state(self, path: Path, photo_id: int, size: int, mtime_ns: int, sha256: str) -> None:
        catalog_xmp_state.set_xmp_state(self.db, path, photo_id, size, mtime_ns, sha256)
