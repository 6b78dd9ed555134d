"""workers.Worker: generators run off the UI thread, progress is coalesced, results, errors and cancel arrive."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from phototriage_gui.workers import SyncPool, Worker, make_pool
from ranker.progress import Progress, check_cancel


def _count(n: int, seen_threads: list):
    def job(cancel):
        seen_threads.append(threading.current_thread())
        for i in range(n):
            check_cancel(cancel)
            yield Progress("scan", i + 1, n, f"{i + 1}")
        return "done"

    return job


def test_real_thread_coalesces_progress_and_delivers_result(qtbot):
    pool = make_pool(1)
    threads: list = []
    worker = Worker(_count(20000, threads))
    received = []
    worker.progress.connect(received.append)
    with qtbot.waitSignal(worker.result, timeout=20000) as blocker:
        worker.start(pool)
    assert blocker.args == ["done"]
    assert threads and threads[0] is not threading.main_thread()
    # one UI update per batch, not per photo; the final state always arrives
    assert 0 < len(received) < 20000
    assert received[-1].done == 20000
    assert [p.done for p in received] == sorted(p.done for p in received)
    pool.waitForDone()


def test_progress_with_items_is_never_dropped(qtbot):
    def job(cancel):
        for i in range(500):
            yield Progress("scan", i, 500, item=i if i % 50 == 0 else None)

    worker = Worker(job)
    items = []
    worker.progress.connect(lambda p: p.item is not None and items.append(p.item))
    pool = make_pool(1)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        worker.start(pool)
    assert items == list(range(0, 500, 50))
    pool.waitForDone()


def test_errors_and_plain_functions(qtbot):
    failing = Worker(lambda cancel: 1 / 0)
    with qtbot.waitSignal(failing.error) as blocker:
        failing.start(SyncPool())
    assert isinstance(blocker.args[0], ZeroDivisionError)
    plain = Worker(lambda cancel: 42)
    with qtbot.waitSignal(plain.result) as blocker:
        plain.start(SyncPool())
    assert blocker.args == [42]


def test_cancel_stops_between_items(qtbot):
    started = threading.Event()

    def job(cancel):
        for i in range(10**9):
            started.set()
            yield Progress("scan", i, 10**9)
            QThread.msleep(1)

    worker = Worker(job)
    pool = make_pool(1)
    with qtbot.waitSignal(worker.cancelled, timeout=10000):
        worker.start(pool)
        assert started.wait(5)
        worker.cancel()
    assert not worker.running
    pool.waitForDone()


@pytest.mark.parametrize("pool_factory", [SyncPool, lambda: make_pool(1)])
def test_finished_follows_every_outcome(qtbot, pool_factory):
    worker = Worker(lambda cancel: (yield Progress("scan", 1, 1)))
    pool = pool_factory()
    with qtbot.waitSignals([worker.progress, worker.result, worker.finished], order="strict", timeout=10000):
        worker.start(pool)
    pool.waitForDone()


def test_status_bar_cancel_stops_the_job(qtbot):
    from phototriage_gui.views.progress import JobProgress

    def slow(cancel):
        for i in range(10**6):
            check_cancel(cancel)
            QThread.msleep(2)
            yield Progress("scan", i, 10**6, f"photo {i}")

    bar = JobProgress()
    qtbot.addWidget(bar)
    worker = Worker(slow)
    bar.attach(worker, "Ranking")
    pool = make_pool(1)
    worker.start(pool)
    qtbot.waitUntil(lambda: bar.bar.maximum() == 10**6)  # real progress replaced the busy indicator
    with qtbot.waitSignal(worker.cancelled, timeout=10000):
        bar.cancel.click()
    assert bar.isHidden()
    pool.waitForDone()


def test_every_stage_the_core_yields_has_a_label():
    """The status bar names each stage in words; a stage it does not know shows as its raw name."""
    import re
    from pathlib import Path

    import ranker.progress
    from phototriage_gui.views.progress import STAGES

    root = Path(ranker.progress.__file__).parent
    literal = [  # a stage written as a string would drift from the enum (once "train" where "learn" was yielded)
        f"{path.name}: {m.group(0)}"
        for path in root.rglob("*.py")
        for m in re.finditer(r'Progress\(\s*(?:stage=)?"([a-z_]+)"', path.read_text(encoding="utf-8"))
    ]
    assert not literal, literal
    stages = {str(member) for member in ranker.progress.Stage}
    assert {"scan", "learn", "download"} <= stages
    assert stages <= set(STAGES), stages - set(STAGES)
