"""Faces in the app: badges, the face filter, face boxes on F, and the why-text naming blinks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from phototriage_gui import formatting
from phototriage_gui.session import Filter
from tests.gui.conftest import press, screenshot, settle


@pytest.fixture(scope="module")
def _blink_template(tmp_path_factory):
    """One burst of the astronaut: one frame with her eyes open, two where she blinks."""
    from ranker.datasets.face_bursts import FaceFrame, close_eyes, write_face_shoot
    from ranker.datasets.synthetic import Defect, handheld_frame, skimage_photo

    rng = np.random.default_rng(5)
    astronaut = skimage_photo("astronaut")
    frames = [FaceFrame(handheld_frame(astronaut, rng, 400), Defect("clean", 0.0))]
    frames += [FaceFrame(handheld_frame(close_eyes(astronaut, a), rng, 400), Defect("blink", a)) for a in (0.9, 1.0)]
    root = tmp_path_factory.mktemp("faces") / "shoot"
    return root, write_face_shoot(root, [("astronaut", [frames[1], frames[0], frames[2]])])[0]


@pytest.fixture
def blink_shoot(tmp_path, _blink_template):
    import shutil

    root, truth = _blink_template
    shutil.copytree(root, tmp_path / "shoot")
    return tmp_path / "shoot", truth


def test_face_text():
    signals = {"faces": 3.0, "eyes_closed": 2.0, "faces_soft": 1.0}
    assert formatting.face_issues(signals) == ["eyes closed (2 of 3 people)", "face soft (1 of 3 people)"]
    assert formatting.face_issues({"faces": 1.0, "eyes_closed": 1.0}) == ["eyes closed"]
    assert formatting.face_badges(signals) == ["eyes closed", "face soft"]
    assert formatting.face_badges({"faces": 0.0}) == []
    why = formatting.why(
        2, 3, {"faces": 3.0, "eyes_closed": 2.0, "sharpness": -2.0}, {"faces": 3.0, "sharpness": -2.0}, None
    )
    assert why == "Ranked 2 of 3: eyes closed (2 of 3 people)."
    best = formatting.why(1, 3, {"faces": 1.0, "eyes_closed": 0.0}, None, {"faces": 1.0, "eyes_closed": 1.0})
    assert best.startswith("Suggested best of its burst: eyes open where #2 is not")


def test_face_filter_accepts():
    from ranker.decisions import Decision

    closed, fine = {"faces": 1.0, "eyes_closed": 1.0}, {"faces": 1.0, "eyes_closed": 0.0, "faces_soft": 0.0}
    assert Filter(faces="eyes closed").accepts(Decision(), closed)
    assert not Filter(faces="eyes closed").accepts(Decision(), fine)
    assert Filter(faces="faces fine").accepts(Decision(), fine)
    assert not Filter(faces="faces fine").accepts(Decision(), {"faces": 0.0})
    assert Filter().accepts(Decision(), None)


def test_blinks_are_shown_named_filtered_and_boxed(make_window, qtbot, blink_shoot):
    folder, truth = blink_shoot
    window = make_window(folder)
    settle(qtbot, window)
    shoot = window.session.shoot
    photos = shoot.photos
    assert photos[0].name == truth["best"]  # the open-eyed frame is the suggested best
    assert [formatting.face_badges(p.signals) for p in photos] == [[], ["eyes closed"], ["eyes closed"]]
    assert photos[0].faces and not photos[0].faces[0]["eyes_closed"]

    window.show_view("loupe")
    window.session.set_current(photos[1].key)
    assert "eyes closed" in window.info.text()
    press(qtbot, window, Qt.Key.Key_F)
    assert window.loupe.view.show_faces and window.loupe.view.faces == photos[1].faces
    screenshot(window, "faces_loupe_blink")

    window.session.set_filter(Filter(faces="eyes closed"))
    assert [window.session.visible(p.key) for p in photos] == [False, True, True]
