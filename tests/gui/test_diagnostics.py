"""Unexpected errors keep their traceback: in the log file, and behind the message bar's Details."""

from __future__ import annotations

from ranker import logs
from tests.gui.conftest import settle


def test_a_ranking_bug_is_shown_with_its_traceback_and_logged(make_window, qtbot, shoot, tmp_path, monkeypatch):
    log_path = logs.setup_logging("test")
    assert log_path is not None and log_path == logs.log_file()
    try:
        window = make_window()

        def broken(*args, **kwargs):
            raise RuntimeError("boom in the pipeline")

        monkeypatch.setattr("ranker.culling.pipeline.rank_shoot", broken)
        window.open_folder(shoot)
        assert window.messages.isVisible()
        assert window.messages.label.text() == "Ranking failed: boom in the pipeline"
        assert window.messages.action.isVisible() and window.messages.action.text() == "Details…"
        window.messages.action.click()
        details = window.failure_details
        assert details is not None and details.isVisible()
        assert "Traceback" in details.detailedText() and "RuntimeError: boom in the pipeline" in details.detailedText()
        assert "in broken" in details.detailedText()  # the frame that raised, on the worker's side
        logged = log_path.read_text(encoding="utf-8")
        assert "Ranking failed: boom in the pipeline" in logged and "RuntimeError: boom in the pipeline" in logged
        details.close()
    finally:
        logs.stop_logging()


def test_a_known_catalog_error_has_no_details(make_window, qtbot, shoot, monkeypatch):
    from ranker.store.catalog_rows import CatalogError

    window = make_window(shoot)
    settle(qtbot, window)

    def locked(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is locked by another program; close it and retry")

    monkeypatch.setattr(window.session.catalog, "set_decision", locked)
    window.session.decide("pick", flag="pick")
    assert "locked" in window.messages.label.text() and not window.messages.action.isVisible()
