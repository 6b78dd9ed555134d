"""CompareController without a window: the pair it offers, choices and their undo, champion mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from phototriage_gui.models.shoot import Burst, PhotoItem, Shoot
from phototriage_gui.state.compare_controller import CompareController
from ranker.decisions import Decision
from ranker.store.catalog_rows import CatalogError


class FakeNavigation:
    """The session's side of the contract: one burst of four ranked photos, all visible."""

    def __init__(self, photo_ids: list[int]):
        keys = [f"/shoot/IMG_{i}.JPG" for i in range(len(photo_ids))]
        photos = [
            PhotoItem(key, (Path(key),), Path(key), pid, 0, rank, score)
            for rank, (key, pid, score) in enumerate(zip(keys, photo_ids, (0.9, 0.5, 0.2, 0.1)), start=1)
        ]
        self.shoot: Shoot | None = Shoot(Path("/shoot"), photos, [Burst(1, "burst", tuple(keys))], ranked=True)
        self.current: str | None = keys[0]
        self.hidden: set[str] = set()

    def visible(self, key: str) -> bool:
        return key not in self.hidden

    def current_burst(self) -> Burst | None:
        return self.shoot.burst_of(self.current) if self.shoot and self.current else None

    def focus(self, key: str | None) -> None:
        self.current = key


@pytest.fixture
def nav(photo_ids):
    return FakeNavigation(photo_ids)


@pytest.fixture
def compare(store, nav):
    controller = CompareController(store, nav)
    controller.reset([])
    return controller


def keys(nav, *indexes):
    return tuple(nav.shoot.photos[i].key for i in indexes)


def test_the_first_pair_is_the_least_certain_undecided(compare, nav, store, photo_ids):
    compare.next_pair()
    assert compare.pair == keys(nav, 2, 3)  # ranker.culling.pairs.next_pairs: the closest scores, the least sure
    assert nav.current == compare.pair[0] and compare.active == 0
    store.decide("reject", photo_ids[2], Decision(flag="reject"), lambda _pid: None)
    compare.next_pair()
    assert nav.shoot.photos[2].key not in compare.pair  # a rejected photo is not offered again


def test_a_choice_is_saved_moves_on_and_undoes(compare, nav, catalog, store):
    compare.next_pair()
    first = compare.pair
    changes = []
    compare.changed.connect(lambda: changes.append(compare.pair))
    assert compare.choose(0)
    winner, loser = (nav.shoot.by_key[k].photo_id for k in first)
    assert [c[1:3] for c in catalog.choices()] == [(winner, loser)]
    assert compare.pair != first and changes  # the next pair, never the one just judged
    store.undo_stack.undo()
    assert catalog.choices() == []
    assert compare.pair == first and nav.current == first[0]  # the screen as it was


def test_every_pair_judged_is_exhausted(compare, nav):
    compare.next_pair()
    for _ in range(6):  # four photos: six pairs
        assert not compare.exhausted
        compare.choose(0)
    assert compare.exhausted


def test_a_failed_choice_leaves_the_pair_and_no_undo_step(compare, catalog, store, monkeypatch):
    failures = []
    store.failed.connect(failures.append)

    def read_only(*args, **kwargs):
        raise CatalogError("catalog.db: the catalog is read-only; decisions cannot be saved")

    monkeypatch.setattr(catalog, "add_choice", read_only)
    compare.next_pair()
    before = compare.state()
    compare.choose(1)
    assert compare.state() == before
    assert not store.undo_stack.canUndo() and len(failures) == 1


def test_champion_mode_keeps_the_winner_on_the_left(compare, nav):
    compare.set_champion_mode(True)
    champion, challenger = compare.pair
    assert champion == keys(nav, 0)[0]
    compare.choose(1)  # the challenger wins: it is the new champion
    assert compare.pair[0] == challenger and compare.pair[1] not in (champion, challenger)
    compare.choose(0)
    compare.choose(0)
    assert compare.exhausted  # every challenger has met the champion


def test_moving_to_a_photo_outside_the_pair_puts_it_on_the_active_side(compare, nav):
    compare.next_pair()
    left, right = compare.pair
    outside = next(k for k in nav.shoot.by_key if k not in compare.pair)
    compare.swap_active()
    assert compare.active == 1 and nav.current == right
    compare.follow(outside)
    assert compare.pair == (left, outside) and nav.current == outside
