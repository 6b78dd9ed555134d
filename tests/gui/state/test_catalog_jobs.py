"""The GUI's catalog jobs without Qt threads: auto cull reports the decisions before and after it."""

from __future__ import annotations

from pathlib import Path

from phototriage_gui.state.catalog_jobs import auto_cull
from ranker.culling.shoot_ranking import RankedBurst, RankedPhoto, ShootRanking
from ranker.decisions import Decision, Flag
from ranker.ml.model_info import ModelInfo


def test_auto_cull_skips_a_photo_decided_after_the_ranking_was_read(catalog, photo_ids):
    photos = tuple(
        RankedPhoto(pid, (Path(f"{pid}.jpg"),), rank, -rank, {}, Decision(), {}, 0.0)
        for rank, pid in enumerate(photo_ids, start=1)
    )
    ranking = ShootRanking(Path("."), ModelInfo("test", "test.pt", "given"), (RankedBurst(1, "burst", photos),))
    first, second = photo_ids[:2]
    catalog.set_decision(first, Decision(rating=4))  # the user rated #1 while the ranking was on its way
    culled = auto_cull(catalog, ranking, keep=2)
    assert culled.error is None and culled.summary is not None
    assert culled.before[first] == culled.after[first] == Decision(rating=4)  # skipped, so no undo change
    assert culled.after[second].flag is Flag.PICK and culled.before[second] == Decision()
    assert (culled.summary.picked, culled.summary.kept_user_decisions) == (1, 1)
