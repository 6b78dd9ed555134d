"""Faces against their burst: people matched across frames, eyes judged against each person's best frame."""

from __future__ import annotations

import numpy as np
import pytest

from ranker.features.face_context import (
    BLINK_STRICTNESS,
    CONTEXT_DIM,
    CONTEXT_FIELDS,
    burst_face_context,
    face_signals,
    judge_burst,
    match_people,
)
from ranker.features.faces import Face, pack
from ranker.ml.burst_context import context_width, model_rows
from ranker.ml.model import MultiFeatureConfig
from ranker.store.preferences import BLINK_LEVELS


def face(x: float, eyes: float = 0.3, sharp: float = -1.5, valid: bool = True, y: float = 0.2, w: float = 0.2) -> Face:
    return Face(
        (x, y, x + w, y + w * 1.3), 0.95, eyes if valid else 0.0, eyes if valid else 0.0, valid, sharp, sharp, 0.0, 0.6
    )


def column(name: str) -> int:
    return CONTEXT_FIELDS.index(name)


def test_people_are_matched_by_place_whatever_order_the_detector_lists_them():
    frames = [[face(0.1), face(0.6)], [face(0.62), face(0.12)], [face(0.11)]]
    people = match_people(frames)
    assert people[0] == [0, 1]
    assert people[1] == [1, 0]  # listed the other way round, still the same two people
    assert people[2] == [0]


def test_a_newcomer_is_a_new_person():
    assert match_people([[face(0.1)], [face(0.1), face(0.7)]]) == [[0], [0, 1]]


def test_eyes_are_judged_against_the_same_persons_best_frame():
    # the second person squints in every frame: never a blink; the first blinks in frame 1
    frames = [
        [face(0.1, 0.30), face(0.6, 0.19)],
        [face(0.1, 0.08), face(0.6, 0.18)],
        [face(0.1, 0.29), face(0.6, 0.19)],
    ]
    verdicts = judge_burst(frames)
    closed = [[v.eyes_closed for v in row] for row in verdicts]
    assert closed == [[False, False], [True, False], [False, False]]
    assert verdicts[1][0].eyes_ratio == pytest.approx(0.08 / 0.30)


def test_strictness_moves_the_line_for_half_closed_eyes():
    frames = [[face(0.1, 0.30)], [face(0.1, 0.165)]]  # 55% of the best
    assert judge_burst(frames, BLINK_STRICTNESS["lenient"])[1][0].eyes_closed is False
    assert judge_burst(frames, BLINK_STRICTNESS["normal"])[1][0].eyes_closed is True
    assert set(BLINK_STRICTNESS) == set(BLINK_LEVELS)


def test_unreadable_eyes_are_neither_open_nor_closed():
    verdicts = judge_burst([[face(0.1, valid=False)], [face(0.1, 0.3)]])
    assert verdicts[0][0].eyes_ratio is None and not verdicts[0][0].eyes_closed


def test_a_photo_alone_is_judged_against_a_typical_open_eye():
    assert judge_burst([[face(0.1, 0.07)]])[0][0].eyes_closed
    assert not judge_burst([[face(0.1, 0.26)]])[0][0].eyes_closed
    assert judge_burst([[face(0.1, 0.3)]])[0][0].sharpness_drop is None


def test_a_soft_face_is_soft_against_the_same_persons_sharpest_frame():
    verdicts = judge_burst([[face(0.1, sharp=-1.5)], [face(0.1, sharp=-2.2)]])
    assert not verdicts[0][0].soft and verdicts[1][0].soft


def test_model_context_rows():
    vectors = np.stack(
        [pack([face(0.1, 0.3)]), pack([face(0.1, 0.08)]), pack([]), pack([face(0.1, 0.3)]), pack([]), pack([])]
    )
    out = burst_face_context(vectors, [[0, 1, 2], [3], [4, 5]])
    assert out.shape == (6, CONTEXT_DIM)
    assert out[1, column("eyes_deficit_max")] == pytest.approx(1 - 0.08 / 0.3, abs=1e-5)
    assert out[1, column("eyes_closed_share")] == 1.0 and out[0, column("eyes_closed_share")] == 0.0
    assert out[2, column("people_missing")] == 1.0  # the person is in the burst but not in this frame
    np.testing.assert_array_equal(out[3], 0.0)  # alone: nothing to compare with
    np.testing.assert_array_equal(out[4:], 0.0)  # no faces: ranks as it always did


def test_faces_enter_the_model_as_their_per_person_summary():
    config = MultiFeatureConfig(
        use_clip=False, use_cnn_features=False, burst_context=("exposure_profile", "faces"), mlp_hidden_dims=(8,)
    )
    assert context_width("faces", 73) == CONTEXT_DIM and context_width("exposure_profile", 4) == 8
    assert config.input_dim == 4 + 8 + CONTEXT_DIM
    rng = np.random.default_rng(0)
    store = {
        "iqa": rng.random((3, 4)),
        "exposure_profile": rng.random((3, 4)),
        "faces": np.stack([pack([face(0.1, 0.3)]), pack([face(0.1, 0.05)]), pack([face(0.1, 0.3)])]),
    }
    rows = model_rows(config, lambda layout: np.concatenate([store[n] for n, _ in layout], axis=1), [[0, 1, 2]])
    assert rows.shape == (3, config.input_dim)
    assert rows[1, 12 + column("eyes_closed_share")] == 1.0


def test_face_signals_for_the_output():
    verdicts = judge_burst([[face(0.1, 0.3), face(0.6, 0.3)], [face(0.1, 0.05), face(0.6, 0.3)]])
    assert face_signals(verdicts[1]) == {
        "faces": 2.0,
        "eyes_closed": 1.0,
        "faces_soft": 0.0,
        "eyes_open": pytest.approx(0.05 / 0.3),
    }
    assert face_signals([]) == {"faces": 0.0}
    assert face_signals(None) == {}
    assert verdicts[1][0].to_json()["eyes_closed"] is True
