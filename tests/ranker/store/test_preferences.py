"""ranker.store.preferences (written for the GUI): defaults, JSON round trip, one bad field never loses the others."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import pytest

from ranker.store import preferences
from ranker.store.preferences import Preferences


def test_defaults_when_nothing_saved():
    assert preferences.load() == Preferences()
    assert Preferences().burst_gap_seconds == 3.0 and Preferences().auto_advance is False


def test_round_trip_in_the_config_dir(app_dirs):
    prefs = replace(Preferences(), burst_gap_seconds=1.5, auto_advance=True, device="cpu", keep_per_burst=2)
    path = preferences.save(prefs.with_recent(app_dirs))
    assert path.parent == app_dirs / "config"
    loaded = preferences.load()
    assert loaded.burst_gap_seconds == 1.5 and loaded.auto_advance and loaded.device == "cpu"
    assert loaded.recent_folders == (str(app_dirs.resolve()),)


def test_recent_folders_move_to_the_top_and_are_capped(tmp_path):
    prefs = Preferences()
    for i in range(preferences.MAX_RECENT + 3):
        prefs = prefs.with_recent(tmp_path / str(i))
    prefs = prefs.with_recent(tmp_path / "5")
    assert prefs.recent_folders[0].endswith("/5")
    assert len(prefs.recent_folders) == preferences.MAX_RECENT
    assert len(set(prefs.recent_folders)) == len(prefs.recent_folders)


def test_bad_values_fall_back_field_by_field():
    path = preferences.preferences_path()
    path.write_text(
        json.dumps(
            {
                "burst_gap_seconds": "soon",
                "auto_advance": 1,
                "device": "tpu",
                "keep_per_burst": 3,
                "unknown": True,
                "recent_folders": "x",
            }
        )
    )
    loaded = preferences.load()
    assert loaded == replace(Preferences(), keep_per_burst=3)


def test_damaged_file_gives_defaults():
    preferences.preferences_path().write_text("{not json")
    assert preferences.load() == Preferences()


def test_invalid_values_are_refused():
    with pytest.raises(ValueError):
        Preferences(device="tpu")
    with pytest.raises(ValueError):
        Preferences(burst_gap_seconds=0)


def test_no_qt_in_preferences():
    import subprocess

    qt = "any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules)"
    code = f"import sys, ranker.store.preferences; sys.exit({qt})"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
