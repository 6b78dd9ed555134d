"""Burst grouping: time gaps refined by similarity, slow series, brackets, linear cost."""

import numpy as np

from ranker.bursts import GroupingOptions, Shot, group_shots


def _vec(seed: int, noise: float = 0.0, base: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed if base is None else base)
    v = rng.normal(size=64)
    if noise:
        v = v + np.random.default_rng(seed).normal(scale=noise, size=64)
    return v / np.linalg.norm(v)


def test_frames_close_in_time_and_alike_form_one_burst():
    shots = [Shot(i, 10.0 + 0.3 * i, _vec(i, 0.2, base=1)) for i in range(5)]
    groups = group_shots(shots)
    assert [g.kind for g in groups] == ["burst"]
    assert groups[0].keys == (0, 1, 2, 3, 4)


def test_two_scenes_a_second_apart_split():
    shots = [Shot(i, 0.3 * i, _vec(i, 0.1, base=1)) for i in range(3)]
    shots += [Shot(10 + i, 1.0 + 0.3 * i, _vec(i, 0.1, base=2)) for i in range(3)]
    groups = group_shots(shots)
    assert [g.keys for g in groups] == [(0, 1, 2), (10, 11, 12)]


def test_slow_series_of_one_scene_stays_together_but_a_long_gap_splits():
    shots = [Shot(i, 20.0 * i, _vec(i, 0.05, base=3)) for i in range(4)]
    shots.append(Shot(9, 20.0 * 3 + 600, _vec(9, 0.05, base=3)))  # ten minutes later
    groups = group_shots(shots)
    assert [g.keys for g in groups] == [(0, 1, 2, 3), (9,)]
    assert groups[1].kind == "single"


def test_one_odd_frame_does_not_split_a_burst():
    shots = [Shot(i, 0.2 * i, _vec(i, 0.05, base=4)) for i in range(5)]
    odd = _vec(99)
    shots[2] = Shot(2, 0.4, 0.5 * odd + 0.5 * shots[2].descriptor)  # e.g. badly motion-blurred
    shots[2] = Shot(2, 0.4, shots[2].descriptor / np.linalg.norm(shots[2].descriptor))
    assert [g.keys for g in group_shots(shots)] == [(0, 1, 2, 3, 4)]


def test_exposure_brackets_are_marked_not_ranked_as_duplicates():
    shots = [Shot(i, 0.2 * i, _vec(i, 0.05, base=5), ev) for i, ev in enumerate([-2.0, 0.0, 2.0])]
    shots += [Shot(10 + i, 1.0 + 0.2 * i, _vec(i, 0.05, base=5), 0.0) for i in range(2)]
    groups = group_shots(shots)
    assert groups[0].kind == "bracket" and groups[0].keys == (0, 1, 2)
    assert groups[1].kind == "burst" and groups[1].keys == (10, 11)


def test_grouping_compares_each_frame_with_a_bounded_number_of_neighbours(monkeypatch):
    import ranker.bursts as bursts

    calls = []
    real = bursts._similar
    monkeypatch.setattr(bursts, "_similar", lambda a, b: calls.append(1) or real(a, b))
    n = 2000
    shots = [Shot(i, i * 0.5, _vec(i // 10, 0.01, base=i // 10)) for i in range(n)]
    group_shots(shots, GroupingOptions())
    assert len(calls) <= 3 * n  # linear, never all pairs


def test_without_camera_time_only_near_identical_frames_group():
    """Files copied together share one mtime: time proves nothing, so similarity must be high."""
    same = [Shot(i, 1000.0, _vec(i, 0.05, base=6), camera_time=False) for i in range(3)]
    alike = [Shot(10 + i, 1000.0, _vec(i, 1.2, base=6), camera_time=False) for i in range(2)]
    groups = group_shots(same + alike)
    assert groups[0].keys == (0, 1, 2)
    assert all(len(g.keys) == 1 for g in groups[1:])  # similar-ish scenes stay apart without camera time
