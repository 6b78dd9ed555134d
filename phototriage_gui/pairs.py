"""Which two photos of a burst the compare view shows next (no Qt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from ranker.decisions import Decision


def pair_key(a: int, b: int) -> frozenset[int]:
    return frozenset((a, b))


def default_pair(
    ranked_ids: Sequence[int], decisions: Mapping[int, Decision], compared: set[frozenset[int]]
) -> tuple[tuple[int, int] | None, bool]:
    """((left, right), exhausted): the two best-ranked photos without a pick/reject flag whose pair has
    not been judged yet. Flagged photos fill in when fewer than two are open, so a burst stays
    comparable; when every pair was judged, the top two are shown again and `exhausted` is True."""
    open_ids = [pid for pid in ranked_ids if decisions.get(pid, Decision()).flag is None]
    pool = open_ids if len(open_ids) >= 2 else open_ids + [pid for pid in ranked_ids if pid not in open_ids]
    if len(pool) < 2:
        return None, True
    for a, b in combinations(pool, 2):
        if pair_key(a, b) not in compared:
            return (a, b), False
    return (pool[0], pool[1]), True


def partner_for(
    photo_id: int, ranked_ids: Sequence[int], decisions: Mapping[int, Decision], compared: set[frozenset[int]]
) -> int | None:
    """The best-ranked other photo to show next to `photo_id`, preferring pairs not judged yet."""
    others = [pid for pid in ranked_ids if pid != photo_id]
    if not others:
        return None
    preference = sorted(
        others,
        key=lambda pid: (
            pair_key(photo_id, pid) in compared,
            decisions.get(pid, Decision()).flag is not None,
            ranked_ids.index(pid),
        ),
    )
    return preference[0]
