"""Which photos to compare next: the pair the model is least sure about, and the compare view's
default pair and partner for a photo (no Qt, no torch)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from ranker.decisions import Decision, Flag
from ranker.store.catalog_rows import Choice


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


def _bursts_of(candidates: Any) -> list[list[tuple[int, float]]]:
    """Normalise what next_pairs accepts into bursts of (photo id, score)."""
    if isinstance(candidates, Mapping):
        return [[(int(pid), float(s)) for pid, s in candidates.items()]]
    if hasattr(candidates, "bursts"):  # ShootRanking
        return [b for burst in candidates.bursts for b in _bursts_of(burst)]
    if hasattr(candidates, "photos"):  # RankedBurst
        return [[(p.photo_id, float(p.score)) for p in candidates.photos if p.decision.flag != Flag.REJECT]]
    items = list(candidates)
    if items and hasattr(items[0], "photos"):  # a sequence of RankedBurst
        return [b for burst in items for b in _bursts_of(burst)]
    if items and hasattr(items[0], "photo_id"):  # RankedPhoto of one burst
        return [[(p.photo_id, float(p.score)) for p in items if p.decision.flag != Flag.REJECT]]
    return [[(int(pid), float(s)) for pid, s in items]]  # (id, score) pairs


def next_pairs(
    candidates: Any, decided: Iterable[Iterable[Any]] = (), k: int = 1, top: int = 4
) -> list[tuple[int, int]]:
    """The k pairs the model is least sure about, to offer in the compare view next.

    `candidates`: a RankedBurst, a ShootRanking or a sequence of RankedBurst (pairs never cross bursts),
    RankedPhotos of one burst, {photo id: score}, or (id, score) tuples. Only the `top` best-scored photos
    of each burst are candidates (nobody agonises over the worst frames) and rejected photos are left out.
    `decided`: pairs already judged, as (a, b) tuples, frozensets or catalog.choices() rows; either order.
    Returns (a, b) with a the higher-scored, closest scores first.
    """
    done: set[frozenset[int]] = set()
    for item in decided:
        done.add(frozenset((item.winner, item.loser) if isinstance(item, Choice) else item))
    options = []
    for order, burst in enumerate(_bursts_of(candidates)):
        best = sorted(burst, key=lambda item: -item[1])[: max(2, top)]
        for (a, sa), (b, sb) in combinations(best, 2):
            if a == b or frozenset((a, b)) in done:
                continue
            options.append((abs(sa - sb), order, a, b))
    options.sort(key=lambda o: (o[0], o[1]))
    return [(a, b) for _gap, _order, a, b in options[: max(0, k)]]
