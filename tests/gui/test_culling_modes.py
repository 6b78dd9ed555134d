"""Culling as a photographer expects: filter keys, hidden photos, singles, undo that shows, survey, champion, 100%."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from phototriage_gui.image_cache import FULL
from phototriage_gui.session import Filter
from ranker.store.catalog import Catalog
from tests.gui.conftest import press, screenshot, settle

Key = Qt.Key
Alt = Qt.KeyboardModifier.AltModifier


def test_filter_keys_move_off_hidden_photos_and_keys_never_act_on_them(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    picked = session.shoot.bursts[1].keys[1]
    session.set_current(picked)
    press(qtbot, window, Key.Key_P)
    session.set_current(session.shoot.bursts[0].keys[0])
    press(qtbot, window, Key.Key_P, Alt)  # Alt+P: picks only
    assert session.filter == Filter("picks", 0)
    assert session.current == picked  # the hidden photo gave way to the first shown one
    assert window.strip.proxy.rowCount() == 1
    press(qtbot, window, Key.Key_X, Alt)  # no rejects yet: nothing to show, and nothing to act on
    assert not session.visible(session.current)
    press(qtbot, window, Key.Key_X)
    assert session.decision(picked).flag == "pick" and "hidden" in window.messages.label.text()
    press(qtbot, window, Key.Key_A, Alt)
    press(qtbot, window, Key.Key_U, Alt)  # unflagged: the pick on screen leaves, the next unflagged comes
    assert session.visible(session.current) and session.decision(session.current).flag is None
    press(qtbot, window, Key.Key_A, Alt)
    press(qtbot, window, Key.Key_3)
    press(qtbot, window, Key.Key_3, Alt)  # three stars or more
    assert session.filter.min_rating == 3 and window.strip.proxy.rowCount() == 1


def test_undo_says_what_it_undid_and_shows_it(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    target = session.shoot.bursts[2].keys[1]
    session.set_current(target)
    press(qtbot, window, Key.Key_X)
    session.set_current(session.shoot.bursts[0].keys[0])
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.current == target and session.decision(target).flag is None
    name = session.shoot.by_key[target].name
    assert window.messages.label.text() == f"Undone: reject {name}"
    session.set_current(session.shoot.bursts[0].keys[0])
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert session.current == target and session.decision(target).flag == "reject"
    assert window.messages.label.text() == f"Redone: reject {name}"


def test_down_goes_from_burst_to_burst_past_the_singles(make_window, qtbot, tmp_path):
    from ranker.datasets.synthetic import iter_sources, write_shoot

    folder = tmp_path / "mixed"
    folder.mkdir()
    parts = [("astronaut", 3, 10), ("chelsea", 1, 11), ("rocket", 1, 12), ("coffee", 3, 13)]
    for number, (name, frames, hour) in enumerate(parts):
        part = tmp_path / f"part{number}"
        write_shoot(
            part,
            list(iter_sources((name,))),
            np.random.default_rng(number),
            frames=frames,
            size=200,
            start=dt.datetime(2024, 6, 1, hour, 0, 0),
        )
        for file in sorted(part.glob("*.JPG")):
            shutil.move(file, folder / f"P{number}_{file.name}")
    window = make_window(folder)
    settle(qtbot, window)
    session = window.session
    assert [b.kind for b in session.shoot.bursts] == ["burst", "single", "single", "burst"]
    press(qtbot, window, Key.Key_Down)
    assert session.current_burst() is session.shoot.bursts[3]
    press(qtbot, window, Key.Key_Up)
    assert session.current_burst() is session.shoot.bursts[0]
    press(qtbot, window, Key.Key_Right)
    press(qtbot, window, Key.Key_Right)
    press(qtbot, window, Key.Key_Right)  # → still reaches the singles
    assert session.current_burst() is session.shoot.bursts[1]


def test_survey_shows_the_whole_burst_and_keys_act_on_the_current(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    press(qtbot, window, Key.Key_N)
    assert window.view_mode == "survey"
    burst = session.current_burst()
    assert window.survey.keys == list(burst.keys)
    assert sum(pane.isVisible() for pane in window.survey.panes) == 4
    session.set_current(burst.keys[0])
    press(qtbot, window, Key.Key_Right)
    assert session.current == burst.keys[1] and window.survey.active_view().key == burst.keys[1]
    press(qtbot, window, Key.Key_X)
    assert session.decision(burst.keys[1]).flag == "reject"
    qtbot.waitUntil(window.cache.idle)
    qtbot.wait(50)
    screenshot(window, "10-survey")
    press(qtbot, window, Key.Key_Down)  # the next burst's survey
    assert window.survey.keys == list(session.shoot.bursts[1].keys)
    press(qtbot, window, Key.Key_Return)
    assert window.view_mode == "loupe"


def test_champion_mode_keeps_the_winner_and_steps_the_challengers(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    press(qtbot, window, Key.Key_K)
    assert session.compare.champion_mode and window.view_mode == "compare"
    keys = list(session.current_burst().keys)
    assert session.compare.pair == (keys[0], keys[1])
    press(qtbot, window, Key.Key_Q)  # the champion holds
    assert session.compare.pair == (keys[0], keys[2])
    press(qtbot, window, Key.Key_W)  # the challenger wins: it moves to the left
    assert session.compare.pair == (keys[2], keys[3])
    assert not session.compare.exhausted
    press(qtbot, window, Key.Key_Q)
    assert session.compare.exhausted and session.compare.pair[0] == keys[2]
    assert "best of this burst" in window.compare.hint.text()
    ids = {k: session.shoot.by_key[k].photo_id for k in keys}
    with Catalog() as catalog:
        pairs = [(winner, loser) for _, winner, loser, _, _ in catalog.choices()]
    assert pairs == [(ids[keys[0]], ids[keys[1]]), (ids[keys[2]], ids[keys[0]]), (ids[keys[2]], ids[keys[3]])]
    screenshot(window, "11-champion")
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo brings the last challenger back
    assert session.compare.pair == (keys[2], keys[3]) and not session.compare.exhausted
    press(qtbot, window, Key.Key_K)
    assert not session.compare.champion_mode


def test_100_percent_says_loading_until_the_file_pixels_are_shown(make_window, qtbot, tmp_path):
    from tests.synthetic_files import textured_image, write_jpeg

    folder = tmp_path / "big"
    folder.mkdir()
    for number in range(4):
        write_jpeg(folder / f"IMG_{number:04d}.JPG", textured_image((2400, 1600), seed=number))
    data = write_jpeg(folder / "IMG_0009.JPG", textured_image((2400, 1600), seed=9)).read_bytes()
    # cut short but closed (as ../shared's corrupted.jpg): Pillow decodes it with grey rows, silently
    (folder / "IMG_0009.JPG").write_bytes(data[: int(len(data) * 0.7)] + b"\xff\xd9")
    window = make_window()
    window.cache.preview_size = 1400  # enough for fit, far short of 100%: as 24 MP on a 4K screen
    window.open_folder(folder)
    settle(qtbot, window)
    window.show_view("loupe")
    session = window.session
    session.set_current(session.shoot.photos[0].key)
    qtbot.waitUntil(window.cache.idle)
    view = window.loupe.view
    press(qtbot, window, Key.Key_Z)
    assert view.zoom_text() == "loading"  # the enlarged preview is not passed off as 100%
    screenshot(window, "12-loupe-loading-100")
    qtbot.waitUntil(window.cache.idle)
    assert view.zoom_text() == "100%" and window.cache.get(view.key, FULL).width() == 2400
    nxt = session.shoot.photos[1].key
    assert window.cache.get(nxt, FULL) is not None  # prefetched at full resolution while zoomed
    damaged = next((p.key for p in session.shoot.photos if p.name == "IMG_0009.JPG"), None)
    if damaged is None:  # the core may refuse a JPEG with missing data: then it is a listed problem
        assert any("IMG_0009.JPG" in p.where for p in session.problems)
        return
    session.set_current(damaged)
    qtbot.waitUntil(window.cache.idle)
    assert window.cache.damaged(damaged)
    press(qtbot, window, Key.Key_Z)
    qtbot.waitUntil(window.cache.idle)
    screenshot(window, "13-loupe-damaged")


def test_reopening_a_shoot_comes_back_where_the_user_left_off(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    spot = window.session.shoot.bursts[1].keys[2]
    window.session.set_current(spot)
    window.close()  # saves the position (a kill keeps the one written 0.3 s after the last move)
    again = make_window(shoot)
    settle(qtbot, again)
    assert again.session.current == spot  # and the ranking that filled in did not move it
    assert not again.problems_dock.isVisible()  # no "No problems" panel at start


def test_a_folder_with_photos_only_in_sub_folders_offers_to_open_them(make_window, qtbot, tmp_path, shoot):
    parent = tmp_path / "trip"
    parent.mkdir()
    shutil.move(shoot, parent / "day1")
    window = make_window(parent)
    assert window.messages.isVisible() and "sub-folders hold 12" in window.messages.label.text()
    assert window.messages.action.isVisible()
    window.messages.action.click()
    settle(qtbot, window)
    assert window.session.prefs.recursive and len(window.session.shoot.photos) == 12


def test_models_panel_speaks_of_choices_not_layers(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    window.actions_by_name["show_models"].trigger()
    text = window.models.active.text()
    assert "no choices yet" in text and "Siamese" not in text and "sharpness" in text
    press(qtbot, window, Key.Key_Q)
    window.models.show_active()
    assert "<b>1</b> choice" in window.models.active.text()


class DeferredPool:
    """A jobs pool that runs nothing until told: the shoot stays unranked, as in the first seconds."""

    def __init__(self):
        self.waiting = []

    def start(self, runnable, priority: int = 0) -> None:
        self.waiting.append(runnable)

    def run_all(self) -> None:
        while self.waiting:
            self.waiting.pop(0).run()

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


def test_keys_work_before_anything_is_analysed_and_ranking_keeps_the_place(make_window, qtbot, shoot, sync_pools):
    from dataclasses import replace

    jobs = DeferredPool()
    window = make_window(shoot, pools=replace(sync_pools, jobs=jobs))
    session = window.session
    assert not session.shoot.ranked and jobs.waiting  # listed, not analysed
    first = session.current
    press(qtbot, window, Key.Key_P)
    press(qtbot, window, Key.Key_Right)
    press(qtbot, window, Key.Key_Right)
    here = session.current
    press(qtbot, window, Key.Key_X)
    press(qtbot, window, Key.Key_4)
    with Catalog() as catalog:  # on disk at once: a kill now loses nothing
        on_disk = {k: catalog.decision(session.shoot.by_key[k].photo_id) for k in (first, here)}
    assert on_disk[first].flag == "pick" and on_disk[here].flag == "reject" and on_disk[here].rating == 4
    jobs.run_all()
    settle(qtbot, window)
    assert session.current == here  # the ranking filled in behind and did not move the photo
    assert session.decision(first).flag == "pick" and session.decision(here).rating == 4


def test_models_panel_says_what_a_new_model_changed(make_window, qtbot, shoot):
    from ranker.ml import personal_models
    from ranker.ml.active_model import default_checkpoint_path

    window = make_window(shoot)
    settle(qtbot, window)
    assert window.session.model_change is None  # the first ranking changes nothing
    personal_models.import_model(default_checkpoint_path(), activate_it=True)  # same weights, another model
    window.models.modelChanged.emit()  # as after "Use" or a learned model that passed its gate
    qtbot.waitUntil(lambda: window.session.model_change is not None, timeout=30000)
    bursts = sum(1 for b in window.session.shoot.bursts if b.kind == "burst" and len(b.keys) > 1)
    assert bursts > 0
    assert window.session.model_change == f"With this model 0 of {bursts} bursts have a new #1."
    window.models.show_active()
    assert "0 of" in window.models.active.text() and "have a new #1" in window.models.active.text()


def test_new_leaders_counts_bursts_whose_first_photo_changed():
    from phototriage_gui.models.shoot import Burst, Shoot, new_leaders

    before = Shoot(
        root=Path("/s"),
        photos=[],
        bursts=[Burst(1, "burst", ("a", "b")), Burst(2, "burst", ("c", "d")), Burst(3, "single", ("e",))],
    )
    after = Shoot(
        root=Path("/s"),
        photos=[],
        bursts=[Burst(1, "burst", ("b", "a")), Burst(2, "burst", ("c", "d")), Burst(3, "single", ("e",))],
    )
    assert new_leaders(before, after) == (1, 2)
    regrouped = Shoot(root=Path("/s"), photos=[], bursts=[Burst(1, "burst", ("a", "b", "c"))])
    assert new_leaders(before, regrouped) == (0, 0)  # other members: not the same burst
