"""The real thing: ranking and decoding in thread pools while the window stays live."""

from __future__ import annotations

from PySide6.QtCore import Qt

from phototriage_gui.main_window import Pools
from tests.gui.conftest import press, screenshot


def test_shoot_shows_at_once_then_ranking_streams_in(make_window, qtbot, shoot):
    window = make_window(pools=Pools())
    progress = []
    window.session.rankingStarted.connect(lambda worker: worker.progress.connect(progress.append))
    with qtbot.waitSignal(window.session.rankingStarted, timeout=5000):
        window.open_folder(shoot)
    # discovered photos are on screen before any feature is computed
    assert not window.session.shoot.ranked
    assert window.photo_model.rowCount() == 12
    assert window.job_progress.isVisible()
    screenshot(window, "00-opening")
    with qtbot.waitSignal(window.session.shootChanged, timeout=60000):
        pass
    assert window.session.shoot.ranked and len(window.session.shoot.bursts) == 3
    assert progress and progress[-1].stage == "rank"
    qtbot.waitUntil(lambda: not window.job_progress.isVisible())


def test_prefetched_neighbour_is_decoded_ahead_and_shown(make_window, qtbot, shoot):
    """How fast it shows is benchmarks.viewer's (docs/BENCHMARKS.md), not a timed assertion here."""
    window = make_window(shoot, pools=Pools())
    qtbot.waitUntil(lambda: window.session.shoot is not None and window.session.shoot.ranked, timeout=60000)
    press(qtbot, window, Qt.Key.Key_E)  # loupe
    qtbot.waitUntil(window.cache.idle, timeout=10000)
    index = window.session.shoot.index[window.session.current]
    upcoming = window.session.shoot.photos[index + 1].key
    assert window.cache.get(upcoming, window.cache.preview_size) is not None  # decoded ahead of the user
    press(qtbot, window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.loupe.view.key == upcoming and window.loupe.view.image() is not None, timeout=1000)


def test_no_catalog_call_runs_on_the_ui_thread(make_window, qtbot, shoot, monkeypatch):
    """Opening the catalog, listing, deciding, choosing, undoing and auto cull: all on worker threads."""
    import threading
    from contextlib import contextmanager

    from ranker.store.catalog import Catalog
    from ranker.store.catalog_db import CatalogDb

    on_ui: list[str] = []
    real_read, real_write, real_init = CatalogDb.read, CatalogDb.write, Catalog.__init__

    def note(what: str) -> None:
        if threading.current_thread() is threading.main_thread():
            on_ui.append(what)

    def read(self, sql, params=()):
        note(sql)
        return real_read(self, sql, params)

    @contextmanager
    def write(self):
        note("write")
        with real_write(self) as db:
            yield db

    def init(self, *args, **kwargs):
        note("open")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(CatalogDb, "read", read)
    monkeypatch.setattr(CatalogDb, "write", write)
    monkeypatch.setattr(Catalog, "__init__", init)
    window = make_window(shoot, pools=Pools())
    session = window.session
    qtbot.waitUntil(lambda: session.shoot is not None and session.shoot.ranked, timeout=60000)
    for key in (Qt.Key.Key_P, Qt.Key.Key_X, Qt.Key.Key_3, Qt.Key.Key_Q):
        press(qtbot, window, key)
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: session.queue.idle, timeout=10000)
    assert any(session.decision(b.keys[0]).flag == "pick" for b in session.shoot.bursts)  # the cull landed
    assert on_ui == []


def test_the_catalog_is_closed_on_its_own_thread_after_the_last_decision(make_window, qtbot, shoot, monkeypatch):
    """Closing checkpoints the WAL (file work): the window queues it behind every write and waits a bounded time."""
    import threading

    from ranker.store.catalog import Catalog
    from ranker.store.catalog_db import CatalogDb

    closed_on_ui: list[bool] = []
    real_close = CatalogDb.close

    def close(self):
        closed_on_ui.append(threading.current_thread() is threading.main_thread())
        real_close(self)

    monkeypatch.setattr(CatalogDb, "close", close)
    window = make_window(shoot, pools=Pools())
    session = window.session
    qtbot.waitUntil(lambda: session.shoot is not None and session.shoot.ranked, timeout=60000)
    key = session.current
    press(qtbot, window, Qt.Key.Key_P)  # queued on the catalog thread; the close must come after it
    window.close()
    assert closed_on_ui == [False]
    assert session.catalog is None and session.queue.catalog is None
    with Catalog() as catalog:
        assert catalog.decision(session.shoot.by_key[key].photo_id).flag == "pick"
