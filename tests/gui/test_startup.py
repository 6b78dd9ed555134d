"""The app's first window appears without torch (or any model library) being imported."""

from __future__ import annotations

from tests.ranker.cli.test_cli import loaded_after


def test_first_window_imports_no_torch():
    code = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from phototriage_gui.main_window import MainWindow\n"
        "window = MainWindow()\n"
        "window.show()\n"
        "app.processEvents()\n"
        "assert window.isVisible()\n"
    )
    probe = loaded_after(code, {"QT_QPA_PLATFORM": "offscreen"})
    assert probe["loaded"] == []
