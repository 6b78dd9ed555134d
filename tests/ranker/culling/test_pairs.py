"""Which pair to compare next: the model's least-sure pair among the top of each burst."""

from __future__ import annotations

from pathlib import Path

from ranker.culling.pairs import next_pairs
from ranker.decisions import Decision
from ranker.ml.model_info import ModelInfo
from ranker.store.catalog_rows import Choice


def test_next_pairs_offers_the_closest_scores_among_the_top():
    scores = {1: 3.0, 2: 2.9, 3: 2.0, 4: 1.95, 5: -5.0, 6: -5.01}
    assert next_pairs(scores, k=1) == [(3, 4)]
    assert next_pairs(scores, k=2) == [(3, 4), (1, 2)]
    assert next_pairs(scores, decided=[(4, 3)], k=1) == [(1, 2)]
    assert (5, 6) not in next_pairs(scores, k=10)  # the worst frames are never candidates (top=4)
    assert len(next_pairs(scores, k=10)) == 6
    assert next_pairs(scores, decided=[frozenset((1, 2)), Choice(7, 3, 4, "compare", "t")], k=1) == [(2, 3)]
    assert next_pairs({1: 1.0}, k=3) == []


def test_next_pairs_accepts_rankings_and_skips_rejects():
    from ranker.culling.shoot_ranking import RankedBurst, RankedPhoto, ShootRanking

    def photo(pid, score, flag=None):
        return RankedPhoto(pid, (Path(f"{pid}.jpg"),), 0, score, {}, Decision(flag), {}, 0.0)

    first = RankedBurst(1, "burst", (photo(1, 2.0), photo(2, 1.99, "reject"), photo(3, 1.5)))
    second = RankedBurst(2, "burst", (photo(4, 0.5), photo(5, 0.45)))
    ranking = ShootRanking(Path("."), ModelInfo("test", "test.pt", "given"), (first, second))
    assert next_pairs(first, k=5) == [(1, 3)]
    assert next_pairs(ranking, k=5) == [(4, 5), (1, 3)]
    assert next_pairs([first, second], k=1) == [(4, 5)]
    assert next_pairs(list(first.photos), k=1) == [(1, 3)]
