"""`run_app(argv)`: the QApplication, a dark theme for judging photos, the main window, an optional FOLDER."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from ranker.paths import resource


def dark_palette() -> QPalette:
    """Neutral dark grey: a bright frame around a photo skews how its exposure is judged (Lightroom is dark too)."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#232326",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1b1b1d",
        QPalette.ColorRole.AlternateBase: "#26262a",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#2e2e33",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d5a99",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2e2e33",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#888888",
        QPalette.ColorRole.Link: "#8fb3ff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#777"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#777"))
    return palette


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="phototriage", description="Cull a shoot: bursts, ranking, pick/reject.")
    parser.add_argument("folder", nargs="?", help="the shoot folder to open")
    return parser.parse_args(argv)


def run_app(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0] if sys.argv else "phototriage"])
    app.setApplicationName("PhotoTriage")
    app.setOrganizationName("PhotoTriage")
    app.setStyle("Fusion")
    # The window's icon, and the desktop entry it belongs to (Wayland matches windows to menu entries by it).
    app.setWindowIcon(QIcon(str(resource("icons", "phototriage.svg"))))
    app.setDesktopFileName("phototriage")
    app.setPalette(dark_palette())
    from phototriage_gui.main_window import MainWindow  # after QApplication: widgets need it
    from ranker.logs import setup_logging

    setup_logging("phototriage (app)")

    window = MainWindow()
    window.show()
    if args.folder:
        # After the first paint, so the window is on screen before the folder is listed.
        QTimer.singleShot(0, lambda: window.open_folder(args.folder))
    return app.exec()
