"""State fixtures: a catalog in tmp with a few photos, and a store on a synchronous catalog queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from phototriage_gui.state.catalog_queue import CatalogQueue
from phototriage_gui.state.decision_store import DecisionStore
from phototriage_gui.workers import SyncPool
from ranker.store.catalog import Catalog


@pytest.fixture
def catalog(tmp_path):
    with Catalog(tmp_path / "catalog.db") as catalog:
        yield catalog


@pytest.fixture
def photo_ids(catalog, tmp_path) -> list[int]:
    """Four photos the catalog knows (files need not exist: decisions and choices only need ids)."""
    return [
        catalog.upsert_photo(f"fp{i}", 1000.0 + i, "exif", {}, {}, [(Path(tmp_path) / f"IMG_{i}.JPG", 10, 1)])
        for i in range(4)
    ]


@pytest.fixture
def store(qapp, catalog):
    queue = CatalogQueue(catalog, SyncPool())
    return DecisionStore(queue, QUndoStack())
