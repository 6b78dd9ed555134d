"""Session without a window: the catalog opens on its thread and a folder opened meanwhile waits for it."""

from __future__ import annotations

import threading

from phototriage_gui.session import Session
from phototriage_gui.workers import make_pool
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError


class IdlePool:
    """Takes jobs and never runs them: these tests are about listing, not ranking."""

    def start(self, runnable, priority: int = 0) -> None:
        pass

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


def test_a_folder_opened_while_the_catalog_opens_is_listed_in_it(qtbot, shoot, tmp_path):
    pool = make_pool(1)
    session = Session(None, IdlePool(), catalog_pool=pool)
    gate, failures = threading.Event(), []

    def slow_catalog() -> Catalog:
        gate.wait(10)  # a migration, say
        return Catalog(tmp_path / "catalog.db")

    session.open_catalog(slow_catalog, failures.append)
    assert session.open(shoot)
    assert session.shoot is None  # the listing waits behind the catalog on its thread
    gate.set()
    qtbot.waitUntil(lambda: session.shoot is not None, timeout=10000)
    assert session.catalog is not None and not failures
    assert len(session.shoot.photos) == 12
    assert all(p.photo_id is not None for p in session.shoot.photos)  # decidable at once
    qtbot.waitUntil(lambda: session.queue.idle, timeout=10000)
    pool.waitForDone(5000)
    session.close()
    session.catalog.close()


def test_a_catalog_that_cannot_open_leaves_photos_viewable(qtbot, shoot):
    pool = make_pool(1)
    session = Session(None, IdlePool(), catalog_pool=pool)
    failures, messages = [], []
    session.message.connect(lambda level, text: messages.append(text))

    def refuse() -> Catalog:
        raise CatalogError("catalog.db: the catalog is read-only; decisions cannot be saved")

    session.open_catalog(refuse, failures.append)
    session.open(shoot)
    qtbot.waitUntil(lambda: session.shoot is not None, timeout=10000)
    assert len(failures) == 1 and "read-only" in str(failures[0])
    assert len(session.shoot.photos) == 12 and all(p.photo_id is None for p in session.shoot.photos)
    assert any("could not be opened" in text for text in messages)
    assert not session.decide("pick", flag="pick")  # nothing pretends to be saved
    pool.waitForDone(5000)


def test_a_folder_that_cannot_be_opened_is_named_once_with_the_reason(qtbot, tmp_path):
    session = Session(None, IdlePool(), catalog_pool=IdlePool())
    messages = []
    session.message.connect(lambda level, text: messages.append((level, text)))
    missing = tmp_path / "no-such-shoot"
    assert not session.open(missing)
    assert messages == [("error", f"Cannot open {missing}: not a folder")]
