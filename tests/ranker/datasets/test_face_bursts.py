"""Face training bursts: synthetic blinks and soft faces on licence-clean portraits, written as shoots."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ranker.datasets.face_bursts import close_eyes, face_burst, portrait_variants, write_face_shoot
from ranker.datasets.synthetic import skimage_photo
from ranker.features.face_landmarks import detect_faces
from ranker.features.faces import analyse


def test_no_eyes_to_close_is_said_not_faked():
    assert close_eyes(skimage_photo("coffee"), 1.0) is None


def test_half_closed_is_between_open_and_shut():
    astronaut = skimage_photo("astronaut")
    openness = [
        analyse(im)[0].eye_openness for im in (astronaut, close_eyes(astronaut, 0.5), close_eyes(astronaut, 1.0))
    ]
    assert openness[0] > openness[1] > openness[2]


def test_variants_keep_the_face_in_frame():
    rng = np.random.default_rng(0)
    for variant in portrait_variants(skimage_photo("astronaut"), rng, 4):
        assert len(detect_faces(variant)) == 1


def test_a_face_burst_has_one_open_frame_and_its_truth(tmp_path):
    rng = np.random.default_rng(1)
    frames = face_burst(skimage_photo("astronaut"), rng, "clear", frames=4)
    kinds = sorted(f.defect.kind for f in frames)
    assert kinds.count("clean") == 1 and "blink" in kinds and len(frames) == 4
    truth = write_face_shoot(tmp_path, [("astronaut", frames)])
    assert truth[0]["best"] in truth[0]["files"] and len(truth[0]["defects"]) == 4
    assert all((tmp_path / f).is_file() for f in truth[0]["files"])
    with Image.open(tmp_path / truth[0]["files"][0]) as written:
        assert written.getexif()
