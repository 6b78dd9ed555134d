"""Auto cull: the top of each burst picked, the rest rejected when asked, every decision in the catalog kept."""

from __future__ import annotations

from pathlib import Path

from ranker.culling.auto import auto_cull
from ranker.culling.shoot_ranking import RankedBurst, RankedPhoto, ShootRanking
from ranker.decisions import Decision, Flag
from ranker.ml.model_info import ModelInfo
from ranker.store.catalog import Catalog


def _ranking(ids: list[int], snapshot: dict[int, Decision]) -> ShootRanking:
    """Burst 1 holds ids[:3] in rank order, burst 2 (a bracket) the rest; each photo's decision as the
    ranking read it."""

    def photo(pid: int, rank: int) -> RankedPhoto:
        return RankedPhoto(pid, (Path(f"{pid}.jpg"),), rank, -rank, {}, snapshot.get(pid, Decision()), {}, 0.0)

    burst = RankedBurst(1, "burst", tuple(photo(pid, rank) for rank, pid in enumerate(ids[:3], start=1)))
    bracket = RankedBurst(2, "bracket", tuple(photo(pid, rank) for rank, pid in enumerate(ids[3:], start=1)))
    return ShootRanking(Path("."), ModelInfo("test", "test.pt", "given"), (burst, bracket))


def test_a_decision_made_after_the_ranking_was_read_is_respected(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        ids = [catalog.upsert_photo(f"fp{i}", 1.0, "exif", {}, {}, [(tmp_path / f"{i}.jpg", 1, 1)]) for i in range(5)]
        first, second, third = ids[:3]
        catalog.set_decision(third, Decision(flag="reject"))
        ranking = _ranking(ids, {third: Decision(flag="reject")})
        catalog.set_decision(first, Decision(rating=2))  # after the ranking was read: the snapshot has none
        catalog.set_decision(third, Decision())  # cleared since: the snapshot's reject is stale
        summary = auto_cull(catalog, ranking, keep=1, reject_rest=True)
        assert catalog.decision(first) == Decision(rating=2)  # skipped, although the ranking saw it undecided
        assert catalog.decision(second).flag is Flag.REJECT and catalog.decision(third).flag is Flag.REJECT
        assert (summary.picked, summary.rejected, summary.kept_user_decisions, summary.brackets_left) == (0, 2, 1, 1)
        assert all(catalog.decision(pid) == Decision() for pid in ids[3:])  # a bracket stays whole
        assert catalog.decision_updated(second).source == "auto"
