"""The automatic first pass over a ranked shoot, respecting every decision the user already made."""

from __future__ import annotations

from dataclasses import dataclass

from ranker.culling.shoot_ranking import ShootRanking
from ranker.decisions import Decision, Flag
from ranker.store.catalog import Catalog


@dataclass(frozen=True)
class CullSummary:
    picked: int
    rejected: int
    kept_user_decisions: int
    brackets_left: int

    def describe(self) -> str:
        text = (
            f"Marked {self.picked} pick(s) and {self.rejected} reject(s); "
            f"left {self.kept_user_decisions} photo(s) you had already decided untouched."
        )
        if self.brackets_left:
            text += f" {self.brackets_left} exposure bracket(s) left whole for HDR merging."
        return text


def auto_cull(catalog: Catalog, ranking: ShootRanking, keep: int = 1, reject_rest: bool = False) -> CullSummary:
    """Top `keep` of each burst → pick; the rest → reject when asked. Photos with any decision are skipped;
    brackets are never culled as duplicates (their frames belong together).

    The decisions are the catalog's as they are now, not the ranking's (read when it was assembled): a
    decision made since, in the viewer or by another tool's sidecar, is never overwritten."""
    decisions = catalog.decisions(p.photo_id for b in ranking.bursts if b.kind != "bracket" for p in b.photos)
    picked = rejected = kept = brackets = 0
    for burst in ranking.bursts:
        if burst.kind == "bracket":
            brackets += 1
            continue
        for photo in burst.photos:
            if not decisions[photo.photo_id].is_empty:
                kept += 1
                continue
            if photo.rank <= keep:
                catalog.set_decision(photo.photo_id, Decision(flag=Flag.PICK), source="auto")
                picked += 1
            elif reject_rest:
                catalog.set_decision(photo.photo_id, Decision(flag=Flag.REJECT), source="auto")
                rejected += 1
    return CullSummary(picked, rejected, kept, brackets)
