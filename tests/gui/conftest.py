"""GUI fixtures: a small synthetic shoot, windows with synchronous pools, screenshots under test-artifacts/gui."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "gui"


@pytest.fixture(scope="session")
def _shoot_template(tmp_path_factory) -> Path:
    """3 bursts of 4 small frames, written once per run (copied per test: catalogs key on paths)."""
    from ranker.datasets.synthetic import iter_sources, write_shoot

    root = tmp_path_factory.mktemp("template") / "shoot"
    sources = list(iter_sources(("astronaut", "chelsea", "coffee")))
    write_shoot(root, sources, np.random.default_rng(3), frames=4, size=320)
    return root


@pytest.fixture
def shoot(tmp_path, _shoot_template) -> Path:
    import shutil

    dest = tmp_path / "shoot"
    shutil.copytree(_shoot_template, dest)
    return dest


@pytest.fixture
def sync_pools():
    from phototriage_gui.main_window import Pools
    from phototriage_gui.workers import SyncPool

    return Pools(jobs=SyncPool(), decode=SyncPool(), downloads=SyncPool(), catalog=SyncPool())


@pytest.fixture
def make_window(qtbot, sync_pools):
    """make_window(folder=None, pools=None) -> a shown, active MainWindow (synchronous pools by default)."""
    from PySide6.QtWidgets import QApplication

    from phototriage_gui.app import dark_palette
    from phototriage_gui.main_window import MainWindow

    QApplication.instance().setStyle("Fusion")
    QApplication.instance().setPalette(dark_palette())
    windows = []

    def make(folder: Path | None = None, pools=None) -> MainWindow:
        window = MainWindow(pools=pools or sync_pools)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        if folder is not None:
            window.open_folder(folder)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def settle(qtbot, window) -> None:
    """Wait until ranking is in and every queued decode has landed."""
    qtbot.waitUntil(lambda: window.session.shoot is not None and window.session.shoot.ranked, timeout=30000)
    qtbot.waitUntil(window.cache.idle, timeout=10000)


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def screenshot(widget, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path
