"""Views and panels: synchronised zoom, filters, auto-advance, problems, catalog errors, auto cull, models."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from phototriage_gui.session import Filter
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError
from tests.gui.conftest import press, screenshot, settle

Key = Qt.Key


def _wheel(widget, pos: QPointF, steps: int) -> None:
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_compare_zoom_and_pan_stay_in_step(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    left, right = (pane.view for pane in window.compare.panes)
    press(qtbot, window, Key.Key_Z)
    assert not left.zoom.fit and left.zoom.scale == 1.0 and right.zoom is left.zoom
    anchor = QPointF(left.width() * 0.6, left.height() * 0.45)
    before = left.photo_point(anchor)
    _wheel(left, anchor, 4)  # 1.25**4 ≈ 2.4×: larger than the pane, so zooming at the cursor matters
    assert left.zoom.scale == pytest.approx(1.25**4)
    after = left.photo_point(anchor)
    assert (after.x(), after.y()) == pytest.approx((before.x(), before.y()), abs=0.01)
    assert left.image_rect().size() == right.image_rect().size() or right.full_size() != left.full_size()
    centre = QPointF(left.zoom.centre)
    qtbot.mousePress(left, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(left, QPoint(260, 230))
    qtbot.mouseRelease(left, Qt.MouseButton.LeftButton, pos=QPoint(260, 230))
    assert left.zoom.centre != centre  # both panes read this one centre
    qtbot.waitUntil(window.cache.idle)
    screenshot(window, "05-compare-zoomed")
    press(qtbot, window, Key.Key_Right)  # zoom stays put while stepping through the burst
    assert not left.zoom.fit and left.zoom.scale == pytest.approx(1.25**4)
    press(qtbot, window, Key.Key_Z)  # from any zoom, Z goes to 100%, then back to fit
    assert left.zoom.scale == 1.0 and not left.zoom.fit
    press(qtbot, window, Key.Key_Z)
    assert left.zoom.fit


def test_filter_and_auto_advance(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    window.actions_by_name["auto_advance"].setChecked(True)
    assert session.prefs.auto_advance
    first = session.current
    press(qtbot, window, Key.Key_P)
    assert session.current != first and session.decision(first).flag == "pick"
    second = session.current
    press(qtbot, window, Key.Key_P, Qt.KeyboardModifier.ShiftModifier)  # Shift+P: pick and move on, always
    assert session.decision(second).flag == "pick"
    window.actions_by_name["auto_advance"].setChecked(False)
    press(qtbot, window, Key.Key_X)
    window.filter_bar.buttons["picks"].click()
    assert session.filter == Filter("picks", 0)
    assert window.strip.proxy.rowCount() == 2
    assert window.filter_bar.buttons["picks"].text() == "Picks 2"
    session.set_current(first)
    press(qtbot, window, Key.Key_Right)
    assert session.current == second  # navigation follows the filter
    assert not session.step(1)
    window.filter_bar.rating.setCurrentIndex(1)
    assert window.strip.proxy.rowCount() == 0
    window.filter_bar.buttons["all"].click()
    window.filter_bar.rating.setCurrentIndex(0)
    assert window.strip.proxy.rowCount() == 12
    window.show_view("grid")
    window.grid.burst_only.setChecked(True)
    assert window.grid.list.proxy.rowCount() == 4
    assert "4 of 12" in window.grid.count.text()


def test_unreadable_files_are_listed(make_window, qtbot, shoot):
    (shoot / "IMG_9999.JPG").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    window = make_window(shoot)
    settle(qtbot, window)
    assert window.problems_dock.isVisible()
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("IMG_9999.JPG" in t for t in texts)
    assert window.messages.isVisible() and "could not be read" in window.messages.label.text()
    screenshot(window, "06-problems")


def test_catalog_errors_are_shown_and_nothing_half_done(make_window, qtbot, shoot, monkeypatch):
    window = make_window(shoot)
    settle(qtbot, window)

    def locked(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is locked by another program; close it and retry")

    monkeypatch.setattr(window.session.catalog, "set_decision", locked)
    press(qtbot, window, Key.Key_P)
    assert window.messages.isVisible() and "locked" in window.messages.label.text()
    assert window.session.decision(window.session.current).flag is None
    assert not window.session.undo_stack.canUndo()
    assert any(p.where == "catalog" for p in window.session.problems)


def test_auto_cull_is_one_undo_step(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    keep = session.shoot.bursts[0].keys[1]
    session.set_current(keep)
    press(qtbot, window, Key.Key_X)  # the user's own decision: auto cull must leave it alone
    press(qtbot, window, Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    bests = [b.keys[0] for b in session.shoot.bursts]
    assert all(session.decision(k).flag == "pick" for k in bests)
    assert session.decision(keep).flag == "reject"
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    with Catalog() as catalog:
        assert all(catalog.decision(session.shoot.by_key[k].photo_id).flag is None for k in bests)
    assert session.decision(keep).flag == "reject"


def test_drop_a_folder_to_open_it(make_window, qtbot, shoot):
    window = make_window()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(shoot / "IMG_0001.JPG"))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    settle(qtbot, window)
    assert window.session.shoot.root == shoot
    assert window.session.prefs.recent_folders[0] == str(Path(shoot).resolve())


def test_models_panel_download_fails_fast_offline(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    window.actions_by_name["show_models"].trigger()
    assert window.models_dock.isVisible()
    assert "default" in window.models.active.text()
    qtbot.waitUntil(lambda: window.models.features.count() > 0)
    window.models.download("cnn")  # the tests' network is blocked, as on an offline laptop
    assert "download failed" in window.models.status.text()
    assert window.messages.isVisible()
    screenshot(window, "07-models")


def test_learn_from_choices_reports_held_out_agreement(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    for _burst in range(3):
        for _ in range(6):
            if session.compare.exhausted:
                break
            # prefer the photo the model ranks better, as a photographer mostly would
            left, right = (session.shoot.by_key[k] for k in session.compare.pair)
            press(qtbot, window, Key.Key_Q if left.rank < right.rank else Key.Key_W)
        press(qtbot, window, Key.Key_Down)
    with Catalog() as catalog:
        assert len(catalog.choices()) >= 12
    press(qtbot, window, Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Held-out agreement" in window.models.learn_result.text(), timeout=60000)
    settle(qtbot, window)
    assert window.compare.panes[0].view.image() is not None  # re-ranked with the new model, photos still shown
    screenshot(window, "08-learned")
    window.models.revert()
    assert "default" in window.models.status.text().lower()


def test_brackets_are_shown_as_brackets_and_not_compared(make_window, qtbot, tmp_path):
    import numpy as np

    from ranker.datasets.synthetic import iter_sources, write_shoot

    folder = tmp_path / "bracketed"
    write_shoot(
        folder, list(iter_sources(("chelsea", "coffee"))), np.random.default_rng(1), frames=3, size=240, brackets=1
    )
    window = make_window(folder)
    settle(qtbot, window)
    session = window.session
    assert [b.kind for b in session.shoot.bursts] == ["burst", "bracket"]
    press(qtbot, window, Key.Key_Down)
    assert session.current_burst().kind == "bracket" and session.compare.pair is None
    assert "bracket" in window.compare.hint.text()
    assert "exposure bracket" in window.info.text()
    press(qtbot, window, Key.Key_Q)  # nothing to choose: no choice recorded
    with Catalog() as catalog:
        assert catalog.choices() == []
    qtbot.waitUntil(window.cache.idle)
    screenshot(window, "09-bracket")


def test_preferences_are_saved_and_regroup_the_shoot(make_window, qtbot, shoot):
    from phototriage_gui.views.preferences_dialog import PreferencesDialog
    from ranker.store import preferences

    window = make_window(shoot)
    settle(qtbot, window)
    dialog = PreferencesDialog(window.session.prefs, window)
    dialog.gap.setValue(1.0)
    dialog.keep.setValue(2)
    with qtbot.waitSignal(window.session.rankingStarted):
        window.session.set_preferences(dialog.preferences())
    saved = preferences.load()
    assert saved.burst_gap_seconds == 1.0 and saved.keep_per_burst == 2
    assert saved.recent_folders[0] == str(shoot.resolve())


def test_unusable_catalog_is_reported_at_start(make_window, qtbot, monkeypatch):
    def refuse(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is read-only; decisions cannot be saved")

    monkeypatch.setattr("phototriage_gui.main_window.Catalog", refuse)
    window = make_window()
    assert window.messages.isVisible() and "read-only" in window.messages.label.text()


def test_grid_is_a_contact_sheet_with_bursts_as_groups(make_window, qtbot, shoot):
    from phototriage_gui.models.photo_model import FirstInBurstRole, LastInBurstRole, PhotoRole, StackRole

    window = make_window(shoot)
    settle(qtbot, window)
    window.show_view("grid")
    view = window.grid.list

    def cells():
        QApplication.processEvents()
        view.doItemsLayout()
        return [view.visualRect(view.proxy.index(row, 0)) for row in range(view.proxy.rowCount())]

    for width in (1100, 1400, 1800):
        window.resize(width, 900)
        laid = cells()
        columns = len({rect.left() for rect in laid})
        rows = len({rect.top() for rect in laid})
        assert columns >= 3 and rows == -(-12 // columns), width  # packed densely: no half-empty rows
        assert len({(rect.width(), rect.height()) for rect in laid}) == 1  # every cell the same size
        if width == 1100:
            screenshot(window, "03b-grid-narrow")
    # a hidden #1 does not take its burst's header along: the first photo shown opens the burst
    first = window.session.current
    press(qtbot, window, Key.Key_P)
    window.filter_bar.buttons["unflagged"].click()
    shown = [view.proxy.index(row, 0) for row in range(view.proxy.rowCount())]
    assert first not in [i.data(PhotoRole).key for i in shown] and len(shown) == 11
    assert [bool(i.data(FirstInBurstRole)) for i in shown[:4]] == [True, False, False, True]
    assert [bool(i.data(LastInBurstRole)) for i in shown[:4]] == [False, False, True, False]
    rect = view.visualRect(shown[2])
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.topLeft() + QPoint(40, 60))
    assert window.session.current == shown[2].data(PhotoRole).key
    # thumbnail size keys, and stacks collapsed to their #1 (S: this burst, Shift+S: all)
    window.filter_bar.buttons["all"].click()
    before = view.delegate.cell.width()
    press(qtbot, window, Key.Key_Equal)
    assert view.delegate.cell.width() > before
    press(qtbot, window, Key.Key_Minus)
    press(qtbot, window, Key.Key_Minus)
    assert view.delegate.cell.width() < before
    session = window.session
    session.set_current(session.shoot.bursts[1].keys[2])
    press(qtbot, window, Key.Key_S)
    assert view.proxy.rowCount() == 9 and session.current == session.shoot.bursts[1].keys[0]  # on its cover
    cover = view.proxy.index(view.proxy.row_of(session.current), 0)
    assert cover.data(StackRole) == 4
    press(qtbot, window, Key.Key_Right)
    assert session.current == session.shoot.bursts[2].keys[0]  # the tucked-away frames are skipped
    press(qtbot, window, Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    assert view.proxy.rowCount() == 3
    screenshot(window, "03c-grid-stacked")
    press(qtbot, window, Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    assert view.proxy.rowCount() == 12
    press(qtbot, window, Key.Key_Return)  # Enter opens the loupe on the grid's photo
    assert window.view_mode == "loupe" and window.loupe.header.photo.key == session.current
    # in the strip a burst's first cell is wider only by the gap before it: all of its photo is clickable
    window.filter_bar.buttons["all"].click()
    window.show_view("compare")
    QApplication.processEvents()
    strip = window.strip
    opener = next(
        strip.proxy.index(row, 0)
        for row in range(1, strip.proxy.rowCount())
        if strip.proxy.index(row, 0).data(FirstInBurstRole)
    )
    strip.scrollTo(opener)
    rect = strip.visualRect(opener)
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.right() - 3, rect.center().y()))
    assert window.session.current == opener.data(PhotoRole).key


def test_a_narrow_photo_header_shortens_the_name_never_the_quality(qtbot):
    from PySide6.QtGui import QFontMetrics

    from phototriage_gui.models.shoot import PhotoItem
    from phototriage_gui.views.compare import PhotoHeader
    from ranker.decisions import Decision

    header = PhotoHeader()
    qtbot.addWidget(header)
    name = "2026-06-01_wedding_ceremony_IMG_0011.JPG"
    header.show_photo(PhotoItem(name, (Path(name),), Path(name), rank=1, quality=73.4), Decision(), True)
    metrics = QFontMetrics(header._text_font())
    assert header.text(2000) == f"{name}   quality 73/100"
    for width in (220, 160, 120):  # survey cells of 3-6 photos across
        text = header.text(width)
        assert text.endswith("   quality 73/100") and metrics.horizontalAdvance(text) <= width
        assert text != f"{name}   quality 73/100"


def test_the_info_panel_says_what_the_model_weighed_against_the_frame_compared(make_window, qtbot, shoot):
    from phototriage_gui import formatting
    from ranker.ml.attribution import GROUP_LABELS

    window = make_window(shoot)
    settle(qtbot, window)
    burst = next(b for b in window.session.shoot.bursts if len(b.keys) > 2)
    window.show_view("loupe")
    for key, against in ((burst.keys[0], "#2"), (burst.keys[2], "#1")):
        window.session.set_current(key)
        text = window.info.text()
        assert f"What the model weighed</b> (quality points against {against})" in text
        photo = window.session.shoot.by_key[key]
        label, points = formatting.effect_rows(photo.effects)[0]  # the largest effect, named with its sign
        assert label in GROUP_LABELS.values() and f"{points:+.0f}</td>" in text
    screenshot(window, "info-weighed")
