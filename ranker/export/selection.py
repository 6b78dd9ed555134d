"""Which ranked photos count as selects: picks, a minimum rating, or the top K of each burst."""

from __future__ import annotations

from ranker.culling.shoot_ranking import ShootRanking
from ranker.decisions import Flag
from ranker.export import ExportItem


def select(
    ranking: ShootRanking, *, picks: bool = False, min_rating: int | None = None, top: int | None = None
) -> list[ExportItem]:
    """Photos matching every criterion given (none given: all but rejects), in burst then rank order.
    Rejects are never selected; brackets are kept whole under --top so HDR merges stay possible."""
    items = []
    for burst in ranking.bursts:
        for photo in burst.photos:
            decision = photo.decision
            if decision.flag == Flag.REJECT:
                continue
            if picks and decision.flag != Flag.PICK:
                continue
            if min_rating is not None and decision.rating < min_rating:
                continue
            if top is not None and burst.kind != "bracket" and photo.rank > top:
                continue
            items.append(ExportItem(photo.paths, burst.number, photo.rank, photo.score, decision, ranking.model.label))
    return items
