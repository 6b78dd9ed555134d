"""CatalogQueue's close: on the catalog thread, after every job queued before it, with a bounded wait."""

from __future__ import annotations

import sqlite3

import pytest

from phototriage_gui.state.catalog_queue import CatalogQueue
from phototriage_gui.workers import make_pool
from ranker.decisions import Decision


def test_close_runs_after_every_queued_job(qapp, catalog, photo_ids):
    queue = CatalogQueue(catalog, make_pool(1))
    read = []
    assert queue.submit(lambda c: read.append(c.decision(photo_ids[0])))
    assert queue.close(5000)
    assert read == [Decision()] and queue.catalog is None  # the job queued first still had the catalog
    with pytest.raises(sqlite3.ProgrammingError):
        catalog.decision(photo_ids[0])  # closed
    assert queue.close(5000)  # nothing left to close
    assert not queue.submit(lambda c: None)
