"""Unexpected errors keep their traceback: in the log file, and behind the message bar's Details."""

from __future__ import annotations

import logging

from phototriage_gui import diagnostics
from tests.gui.conftest import settle


def test_a_ranking_bug_is_shown_with_its_traceback_and_logged(make_window, qtbot, shoot, tmp_path, monkeypatch):
    handler = diagnostics.setup_logging(tmp_path / "logs" / "phototriage.log")
    assert handler is not None
    try:
        window = make_window()

        def broken(*args, **kwargs):
            raise RuntimeError("boom in the pipeline")

        monkeypatch.setattr("ranker.pipeline.rank_shoot", broken)
        window.open_folder(shoot)
        assert window.messages.isVisible()
        assert window.messages.label.text() == "Ranking failed: boom in the pipeline"
        assert window.messages.action.isVisible() and window.messages.action.text() == "Details…"
        window.messages.action.click()
        details = window.failure_details
        assert details is not None and details.isVisible()
        assert "Traceback" in details.detailedText() and "RuntimeError: boom in the pipeline" in details.detailedText()
        assert "in broken" in details.detailedText()  # the frame that raised, on the worker's side
        handler.flush()
        logged = (tmp_path / "logs" / "phototriage.log").read_text(encoding="utf-8")
        assert "Ranking failed: boom in the pipeline" in logged and "RuntimeError: boom in the pipeline" in logged
        details.close()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_a_known_catalog_error_has_no_details(make_window, qtbot, shoot, monkeypatch):
    from ranker.catalog import CatalogError

    window = make_window(shoot)
    settle(qtbot, window)

    def locked(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is locked by another program; close it and retry")

    monkeypatch.setattr(window.session.catalog, "set_decision", locked)
    window.session.decide("pick", flag="pick")
    assert "locked" in window.messages.label.text() and not window.messages.action.isVisible()


def test_an_unwritable_log_directory_does_not_stop_the_app(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log folder would go")
    assert diagnostics.setup_logging(blocker / "phototriage.log") is None
