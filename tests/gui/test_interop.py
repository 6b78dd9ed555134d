"""Decisions reach other tools from the app: live sidecars, edits made elsewhere read back, File ▸ Export."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import Qt

from phototriage_gui.workers import SyncPool
from ranker.decisions import Decision
from ranker.export.embed import same_image
from ranker.xmp import embedded_decision, read_xmp, sidecar_path
from tests.gui.conftest import press, screenshot, settle

Key = Qt.Key


def test_keys_write_sidecars_beside_the_originals(make_window, qtbot, shoot):
    photos = {p.name: p.read_bytes() for p in shoot.iterdir()}
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    first = session.current
    press(qtbot, window, Key.Key_P)
    press(qtbot, window, Key.Key_Right)
    second = session.current
    press(qtbot, window, Key.Key_X)
    press(qtbot, window, Key.Key_Right)
    third = session.current
    press(qtbot, window, Key.Key_4)
    press(qtbot, window, Key.Key_9)
    assert session.sidecars.flush(5)
    side = {key: sidecar_path(session.shoot.by_key[key].paths[0]) for key in (first, second, third)}
    assert read_xmp(side[first])[0] == Decision("pick")
    assert read_xmp(side[second])[0] == Decision("reject")
    assert read_xmp(side[third])[0] == Decision(None, 4, "blue")
    assert b'xmp:Rating="-1"' in side[second].read_bytes() and b'digiKam:PickLabel="1"' in side[second].read_bytes()
    # The photos themselves are never touched; only sidecars were added.
    assert {p.name: p.read_bytes() for p in shoot.iterdir() if p.suffix != ".xmp"} == photos
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the label: the sidecar follows
    assert session.sidecars.flush(5)
    assert read_xmp(side[third])[0] == Decision(None, 4, None)


def test_write_back_off_for_this_shoot(make_window, qtbot, shoot):
    window = make_window()
    session = window.session
    session.set_preferences(session.prefs.with_sidecars_in(shoot, False))
    window.open_folder(shoot)
    settle(qtbot, window)
    press(qtbot, window, Key.Key_P)
    assert session.sidecars.flush(5)
    assert not list(shoot.glob("*.xmp"))


def test_rating_changed_in_another_tool_shows_on_reopen(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    key = session.current
    photo = session.shoot.by_key[key].paths[0]
    press(qtbot, window, Key.Key_2)
    assert session.sidecars.flush(5)
    # Lightroom rewrites the sidecar a moment later: 5 stars and a Red label.
    side = sidecar_path(photo)
    time.sleep(0.02)
    side.write_bytes(side.read_bytes().replace(b'xmp:Rating="2"', b'xmp:Rating="5" xmp:Label="Red"'))
    future = time.time() + 5
    os.utime(side, (future, future))
    window.open_folder(shoot)
    settle(qtbot, window)
    assert session.decision(key) == Decision(None, 5, "red")
    assert window.messages.isVisible() and "changed in other tools" in window.messages.label.text()


def test_export_dialog_copies_picks_with_embedded_xmp(make_window, qtbot, shoot, tmp_path):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    press(qtbot, window, Key.Key_P)
    picked = session.shoot.by_key[session.current].paths[0]
    window.handlers.on_export()
    dialog = window.handlers.export_dialog
    dialog.pool = SyncPool()
    dest = tmp_path / "selects"
    dialog.dest.setText(str(dest))
    screenshot(dialog, "export-dialog")
    with qtbot.waitSignal(dialog.finishedExport, timeout=30000):
        dialog.start.click()
    outcome = dialog.outcome
    assert outcome.report is not None and outcome.report.ok and outcome.selected == 1
    copy = dest / picked.name
    assert same_image(picked.read_bytes(), copy.read_bytes())
    assert embedded_decision(copy) == Decision("pick") == read_xmp(sidecar_path(copy))[0]
    assert "2 copied" in dialog.status.text() and "0 failed" in dialog.status.text()  # the photo and its sidecar
    screenshot(dialog, "export-dialog-done")


def test_export_dialog_puts_a_relative_destination_in_the_shoot(make_window, qtbot, shoot, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # launched from a desktop menu, the working directory is anywhere
    window = make_window(shoot)
    settle(qtbot, window)
    window.handlers.on_export()
    dialog = window.handlers.export_dialog
    dialog.dest.setText(" selects ")
    assert dialog.request().dest == shoot / "selects"
    dialog.dest.setText(str(tmp_path / "elsewhere"))
    assert dialog.request().dest == tmp_path / "elsewhere"


def test_preferences_dialog_sets_the_sidecar_style(qtbot):
    from phototriage_gui.views.preferences_dialog import PreferencesDialog
    from ranker.store.preferences import Preferences

    dialog = PreferencesDialog(Preferences())
    qtbot.addWidget(dialog)
    dialog.sidecar_style.setCurrentText("darktable")
    dialog.pick_as.setCurrentText("label")
    dialog.pick_label.setCurrentText("purple")
    dialog.write_sidecars.setChecked(False)
    prefs = dialog.preferences()
    assert (prefs.sidecar_style, prefs.pick_as, prefs.pick_label, prefs.write_sidecars) == (
        "darktable",
        "label",
        "purple",
        False,
    )
    assert prefs.xmp_style().sidecar == "darktable"
