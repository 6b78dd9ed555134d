"""The SQLite catalog, the one entry point to it: photos, files, cached features, bursts, scores, decisions, choices."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

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
from ranker.store.catalog_rows import PhotoRecord

P = ParamSpec("P")
R = TypeVar("R")


def default_catalog_path() -> Path:
    return data_dir() / "catalog.db"


def _query(query: Callable[Concatenate[CatalogDb, P], R]) -> Callable[Concatenate[Catalog, P], R]:
    """A concept module's query as a Catalog method: its signature and docstring stay in that module."""

    @functools.wraps(query)
    def method(catalog: Catalog, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return query(catalog.db, *args, **kwargs)

    return method


class Catalog:
    """The catalog's queries over one CatalogDb (one connection, one lock, every write committed when made).

    Safe to share between the UI thread and one worker thread; `connect` is injectable for tests.
    Each concept's queries live in their own module (ranker.store.catalog_photos, ...), signatures and
    docstrings with them; this class names them as its methods.
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
    identify = _query(catalog_photos.identify)
    adopt = _query(catalog_photos.adopt)
    record_analysis = _query(catalog_photos.record_analysis)
    mark_sidecars_read = _query(catalog_photos.mark_sidecars_read)
    upsert_photo = _query(catalog_photos.upsert_photo)
    forget_files = _query(catalog_photos.forget_files)
    files_under = _query(catalog_photos.files_under)
    file_states = _query(catalog_photos.file_states)
    analysed_like = _query(catalog_photos.analysed_like)
    photo = _query(catalog_photos.photo)
    photo_for_path = _query(catalog_photos.photo_for_path)
    known_file = _query(catalog_photos.known_file)

    def photos(self, photo_ids: Iterable[int]) -> list[PhotoRecord]:
        return [self.photo(pid) for pid in photo_ids]

    # -- the analysis cache (ranker.store.catalog_cache) ------------------------------------------
    get_features = _query(catalog_cache.get_features)
    put_features = _query(catalog_cache.put_features)
    put_scores = _query(catalog_cache.put_scores)
    scores = _query(catalog_cache.scores)

    # -- bursts (ranker.store.catalog_bursts) -----------------------------------------------------
    replace_bursts = _query(catalog_bursts.replace_bursts)
    shoots = _query(catalog_bursts.shoots)
    bursts = _query(catalog_bursts.bursts)
    burst_mates = _query(catalog_bursts.burst_mates)

    # -- decisions (ranker.store.catalog_decisions) -----------------------------------------------
    decision = _query(catalog_decisions.decision)
    has_decision = _query(catalog_decisions.has_decision)
    set_decision = _query(catalog_decisions.set_decision)
    decision_updated = _query(catalog_decisions.decision_updated)

    def decisions(self, photo_ids: Iterable[int]) -> dict[int, Decision]:
        return {pid: self.decision(pid) for pid in photo_ids}

    # -- pairwise choices (ranker.store.catalog_choices) ------------------------------------------
    add_choice = _query(catalog_choices.add_choice)
    remove_choice = _query(catalog_choices.remove_choice)
    choices = _query(catalog_choices.choices)

    # -- XMP read-back state (ranker.store.catalog_xmp_state, for ranker/store/readback.py) -------------
    xmp_state = _query(catalog_xmp_state.xmp_state)
    set_xmp_state = _query(catalog_xmp_state.set_xmp_state)
