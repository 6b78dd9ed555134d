"""DecisionStore without a window: shown at once, written by the catalog thread, undoable, failures put back."""

from __future__ import annotations

import threading

from PySide6.QtGui import QUndoStack

from phototriage_gui.state.catalog_queue import CatalogQueue
from phototriage_gui.state.decision_store import DecisionStore
from phototriage_gui.workers import make_pool
from ranker.decisions import Decision
from ranker.store.catalog_rows import CatalogError

PICK = Decision(flag="pick")


def test_a_decision_is_saved_and_one_undo_step(store, catalog, photo_ids):
    changed, revealed = [], []
    store.changed.connect(changed.append)
    pid = photo_ids[0]
    assert store.decide("pick IMG_0", pid, PICK, revealed.append)
    assert store.get(pid) == PICK and catalog.decision(pid) == PICK
    assert changed == [[pid]]
    assert store.undo_stack.count() == 1 and store.undo_stack.undoText() == "pick IMG_0"
    assert not store.decide("pick IMG_0 again", pid, PICK, revealed.append)  # no change, no step
    assert store.undo_stack.count() == 1

    store.undo_stack.undo()
    assert store.get(pid) == Decision() and catalog.decision(pid).flag is None
    assert revealed == [pid]  # the user is shown what the undo changed
    store.undo_stack.redo()
    assert store.get(pid) == PICK and catalog.decision(pid) == PICK


def test_a_failed_write_is_put_back_and_leaves_no_undo_step(store, catalog, photo_ids, monkeypatch):
    failures = []
    store.failed.connect(failures.append)

    def locked(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is locked by another program; close it and retry")

    monkeypatch.setattr(catalog, "set_decision", locked)
    store.decide("reject IMG_1", photo_ids[1], Decision(flag="reject"), lambda _pid: None)
    assert store.get(photo_ids[1]) == Decision()
    assert not store.undo_stack.canUndo()
    assert len(failures) == 1 and "locked" in str(failures[0])


def test_decisions_read_elsewhere_never_overwrite_newer_ones(store, photo_ids):
    first, second = photo_ids[:2]
    mark = store.mark()  # e.g. a ranking starts reading the catalog
    store.decide("pick", first, PICK, lambda _pid: None)
    # the ranking arrives with what the catalog held when it read it
    store.adopt({first: Decision(), second: Decision(rating=3)}, since=mark)
    assert store.get(first) == PICK  # made after the read: kept
    assert store.get(second) == Decision(rating=3)  # nothing newer here: taken


def test_auto_cull_written_by_a_job_is_one_undo_step(store, catalog, photo_ids):
    for pid in photo_ids:
        catalog.set_decision(pid, PICK, source="auto")  # what a catalog job wrote
    changes = [(pid, Decision(), PICK) for pid in photo_ids]
    store.written_elsewhere("auto cull of 4 photos", changes, lambda _pid: None)
    assert all(store.get(pid) == PICK for pid in photo_ids)
    store.undo_stack.undo()
    assert all(catalog.decision(pid).flag is None for pid in photo_ids)
    assert all(store.get(pid) == Decision() for pid in photo_ids)


def test_writes_run_on_the_catalog_thread_not_the_callers(qtbot, catalog, photo_ids, monkeypatch):
    threads = []
    real = catalog.set_decision

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        real(*args, **kwargs)

    monkeypatch.setattr(catalog, "set_decision", recording)
    pool = make_pool(1)
    store = DecisionStore(CatalogQueue(catalog, pool), QUndoStack())
    store.decide("pick", photo_ids[2], PICK, lambda _pid: None)
    assert store.get(photo_ids[2]) == PICK  # shown at once, before the write lands
    qtbot.waitUntil(lambda: store.queue.idle, timeout=5000)
    pool.waitForDone(5000)
    assert catalog.decision(photo_ids[2]) == PICK
    assert threads and threading.get_ident() not in threads
    assert store.undo_stack.count() == 1  # pushed once the write succeeded


def test_choices_are_saved_and_undone(store, catalog, photo_ids):
    moves = []
    winner, loser = photo_ids[:2]
    store.record_choice(
        "choice", winner, loser, lambda: moves.append("redo"), lambda: moves.append("undo"), lambda exc: None
    )
    assert [c[1:3] for c in catalog.choices()] == [(winner, loser)]
    store.undo_stack.undo()
    assert catalog.choices() == [] and moves == ["undo"]
    store.undo_stack.redo()
    assert [c[1:3] for c in catalog.choices()] == [(winner, loser)] and moves == ["undo", "redo"]


def test_without_a_catalog_nothing_is_pretended_saved(qapp, photo_ids):
    failures = []
    store = DecisionStore(CatalogQueue(None, make_pool(1)), QUndoStack())
    store.failed.connect(failures.append)
    store.decide("pick", photo_ids[0], PICK, lambda _pid: None)
    assert store.get(photo_ids[0]) == Decision() and not store.undo_stack.canUndo()
    assert isinstance(failures[0], CatalogError)


def test_a_job_started_after_the_queue_sees_every_decision_made(qtbot, catalog, photo_ids):
    pool = make_pool(1)
    store = DecisionStore(CatalogQueue(catalog, pool), QUndoStack())
    seen = []
    for pid in photo_ids:
        store.decide("pick", pid, PICK, lambda _pid: None)
    # an export or learning starts here: it reads the catalog, not the store
    store.queue.after_queued(lambda: seen.append([catalog.decision(pid) for pid in photo_ids]))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [[PICK] * len(photo_ids)]
    pool.waitForDone(5000)


class RecordingSidecars:
    """Stands in for ranker.store.writeback.SidecarWriter: what was submitted, and from which thread."""

    def __init__(self):
        self.submitted: list[tuple[int, Decision, int]] = []

    def submit(self, photo_id: int, decision: Decision) -> None:
        self.submitted.append((photo_id, decision, threading.get_ident()))


def test_saved_decisions_and_their_undo_reach_the_sidecars_failed_ones_do_not(qtbot, catalog, photo_ids, monkeypatch):
    pool, sidecars = make_pool(1), RecordingSidecars()
    store = DecisionStore(CatalogQueue(catalog, pool), QUndoStack(), sidecars)
    store.decide("pick", photo_ids[0], PICK, lambda _pid: None)
    qtbot.waitUntil(lambda: store.queue.idle, timeout=5000)
    store.undo_stack.undo()
    qtbot.waitUntil(lambda: store.queue.idle, timeout=5000)
    assert [(pid, d) for pid, d, _ in sidecars.submitted] == [(photo_ids[0], PICK), (photo_ids[0], Decision())]
    # queued by the catalog thread right after each commit: a window closing at once still writes them
    assert threading.get_ident() not in {thread for _, _, thread in sidecars.submitted}

    def locked(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is locked by another program; close it and retry")

    monkeypatch.setattr(catalog, "set_decision", locked)
    store.decide("reject", photo_ids[1], Decision(flag="reject"), lambda _pid: None)
    qtbot.waitUntil(lambda: store.queue.idle, timeout=5000)
    assert len(sidecars.submitted) == 2  # nothing unsaved is told to other tools
    pool.waitForDone(5000)
