"""The face extractor: shipped models, boxes, eye openness per eye, face and eye sharpness, caching."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from ranker.datasets.face_bursts import close_eyes
from ranker.features import faces as faces_module
from ranker.features.face_landmarks import MODEL_FILES, detect_faces, models_dir
from ranker.features.faces import DIM, MAX_FACES, Face, FacesExtractor, analyse, local_sharpness, pack, unpack
from ranker.features.registry import get_spec


def test_the_models_ship_inside_the_package_with_their_licences():
    folder = models_dir()
    for name in MODEL_FILES:
        assert (folder / name).stat().st_size > 100_000
    vendor = folder.parent
    assert "MIT License" in (vendor / "LICENSE").read_text()
    assert "Apache License" in (vendor / "LICENSE-APACHE-2.0").read_text()
    assert "MediaPipe" in (vendor / "README.md").read_text()


def test_no_tensorflow_is_needed_or_faked():
    FacesExtractor().check_available()
    detect_faces(Image.new("RGB", (64, 48)))
    assert "tensorflow" not in sys.modules


def test_the_astronaut_has_one_face_with_both_eyes_open(photos):
    found = analyse(photos["astronaut"])
    assert len(found) == 1
    face = found[0]
    x0, y0, x1, y1 = face.box
    # her face is in the upper middle of the NASA portrait
    assert 0.25 < x0 < x1 < 0.65 and 0.05 < y0 < y1 < 0.45
    assert face.eyes_valid and face.score > 0.8
    assert 0.25 < face.eye_left < 0.4 and 0.25 < face.eye_right < 0.4


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket", "landscape_6.jpg"])
def test_photos_without_people_have_no_faces(photos, name):
    assert analyse(photos[name]) == []


def test_closed_eyes_read_far_less_open_than_open_ones(photos):
    opened = analyse(photos["astronaut"])[0]
    shut = analyse(close_eyes(photos["astronaut"], 1.0))[0]
    assert shut.eye_openness < 0.65 * opened.eye_openness


def test_dark_glasses_make_the_eyes_unreadable_not_closed(photos):
    image = photos["astronaut"].copy()
    face = detect_faces(image)[0]
    draw = ImageDraw.Draw(image)
    for eye in (face.left_eye, face.right_eye):
        points = np.concatenate([eye.lower, eye.upper])
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        pad = 0.35 * (x1 - x0)
        draw.ellipse((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=(12, 12, 14))
    found = analyse(image)
    assert len(found) == 1 and not found[0].eyes_valid
    assert found[0].eye_left == found[0].eye_right == 0.0


def test_a_soft_face_measures_softer_on_the_face_and_the_eyes(photos):
    sharp = analyse(photos["astronaut"])[0]
    soft = analyse(photos["astronaut"].filter(ImageFilter.GaussianBlur(2.5)))[0]
    assert soft.face_sharpness < sharp.face_sharpness - 0.3
    assert soft.eye_sharpness < sharp.eye_sharpness - 0.3


def test_local_sharpness_ignores_brightness_and_sees_blur(photos):
    patch = np.asarray(photos["astronaut"].convert("L").crop((180, 80, 276, 176)), dtype=np.float32) / 255
    assert local_sharpness(patch * 0.5) == pytest.approx(local_sharpness(patch), abs=1e-5)
    blurred = ndimage.gaussian_filter(patch, 2.0)
    assert local_sharpness(blurred) < local_sharpness(patch) - 0.5
    assert local_sharpness(np.full((16, 16), 0.5, np.float32)) == -9.0


def test_pack_and_unpack_round_trip_and_cap_the_faces():
    face = Face((0.1, 0.2, 0.3, 0.4), 0.9, 0.3, 0.28, True, -1.5, -1.4, 0.2, 0.6)
    vector = pack([face] * (MAX_FACES + 2), found=MAX_FACES + 2)
    assert vector.shape == (DIM,) and vector[0] == MAX_FACES + 2
    back = unpack(vector)
    assert len(back) == MAX_FACES
    assert back[0].box == pytest.approx(face.box) and back[0].eyes_valid
    assert back[0].eye_openness == pytest.approx(0.25 * 0.28 + 0.75 * 0.3, abs=1e-6)
    assert unpack(pack([])) == []


def test_the_extractor_is_registered_and_runs_once_per_image(photos, monkeypatch):
    spec = get_spec("faces")
    assert spec.dim == DIM and "Apache-2.0" in spec.licence
    calls = []
    real = faces_module.analyse
    monkeypatch.setattr(faces_module, "analyse", lambda image: calls.append(1) or real(image))
    image = photos["astronaut"].copy()
    extractor = FacesExtractor()
    first = extractor.extract([image])
    second = extractor.extract([image])
    assert first.shape == (1, DIM) and first.dtype == np.float32 and first[0, 0] == 1
    np.testing.assert_array_equal(first, second)
    assert len(calls) == 1
