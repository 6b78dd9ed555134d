"""phototriage_gui.shoot_cache: an unchanged shoot reopens ranked at once; any change ranks it again."""

from __future__ import annotations

import dataclasses
import json
import os

from tests.gui.conftest import settle


def test_model_files_are_where_active_model_looks():
    from phototriage_gui import shoot_cache
    from ranker.ml import active_model
    from ranker.paths import data_dir, resources_dir

    bases = {"data": data_dir(), "resources": resources_dir()}
    files = [bases[base] / name for base, name in shoot_cache.MODEL_FILES]
    assert files == [
        active_model.personal_dir() / "active.json",
        data_dir() / "models" / active_model.FULL_CHECKPOINT_NAME,
        active_model.default_checkpoint_path(),
    ]


def test_an_unchanged_shoot_is_not_ranked_again_and_a_changed_one_is(make_window, qtbot, shoot):
    first = make_window(shoot)
    settle(qtbot, first)
    order = [p.key for p in first.session.shoot.photos]
    first.close()
    again = make_window()
    started = []
    again.session.rankingStarted.connect(started.append)
    again.open_folder(shoot)
    assert again.session.shoot.ranked and [p.key for p in again.session.shoot.photos] == order
    assert started == [] and "Nothing changed" in again.messages.label.text()
    assert again.session.compare.pair is not None  # compare works straight away
    again.close()
    touched = shoot / "IMG_0005.JPG"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    third = make_window()
    third.session.rankingStarted.connect(started.append)
    third.open_folder(shoot)
    assert len(started) == 1
    third.close()
    (shoot / "IMG_0005.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")  # another tool's sidecar
    fourth = make_window()
    fourth.session.rankingStarted.connect(started.append)
    fourth.open_folder(shoot)
    assert len(started) == 2  # the pipeline reads sidecars back, so a new or changed one ranks again


def test_a_shoot_reopened_from_the_cache_keeps_quality_confidence_faces_and_effects(make_window, qtbot, shoot):
    first = make_window(shoot)
    settle(qtbot, first)
    ranked = first.session.shoot
    first.close()
    again = make_window()
    again.open_folder(shoot)
    cached = again.session.shoot
    assert "Nothing changed" in again.messages.label.text()
    assert [p.quality for p in cached.photos] == [p.quality for p in ranked.photos]
    assert any(p.quality is not None for p in cached.photos)
    assert [b.confidence for b in cached.bursts] == [b.confidence for b in ranked.bursts]
    assert any(b.confidence for b in cached.bursts)
    assert [p.effects for p in cached.photos] == [p.effects for p in ranked.photos]
    assert any(p.effects for p in cached.photos)
    assert [json.loads(json.dumps(p.faces)) for p in cached.photos] == [
        json.loads(json.dumps(p.faces)) for p in ranked.photos
    ]
    assert cached.photos == [dataclasses.replace(p, faces=c.faces) for p, c in zip(ranked.photos, cached.photos)]
