"""CompareController: which two photos compare shows, the active side, the user's choices and champion mode."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from phototriage_gui.models.shoot import PENDING, Burst, Shoot
from phototriage_gui.state.decision_store import DecisionStore
from ranker.culling import pairs

Pair = tuple[str, str]


class Navigation(Protocol):
    """What the controller needs from the session around it: the shoot, the filter, and moving the current photo."""

    @property
    def shoot(self) -> Shoot | None: ...

    @property
    def current(self) -> str | None: ...

    def visible(self, key: str) -> bool: ...

    def current_burst(self) -> Burst | None: ...

    def focus(self, key: str | None) -> None:
        """Make `key` the current photo without choosing a new pair."""


@dataclass
class PairState:
    """Everything a choice changes, kept so its undo can put the screen back as it was."""

    pair: Pair | None
    active: int
    current: str | None
    champion: str | None
    faced: set[str] = field(default_factory=set)
    exhausted: bool = False


class CompareController(QObject):
    changed = Signal()  # the pair, the active side or champion mode changed
    message = Signal(str, str)  # level, text

    def __init__(self, store: DecisionStore, navigation: Navigation, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.nav = navigation
        self.pair: Pair | None = None
        self.active = 0  # which side of the pair is the current photo
        self.exhausted = False  # every pair of this burst has been judged
        self.champion_mode = False  # compare keeps the best so far and steps the challengers past it
        self.champion: str | None = None
        self.faced: set[str] = set()  # this round's photos that already met the champion
        self._compared: collections.Counter[frozenset[int]] = collections.Counter()

    def reset(self, choices: Iterable[tuple[int, int]]) -> None:
        """A new shoot: no pair yet; `choices` are every (winner, loser) judged so far."""
        self._compared = collections.Counter(pairs.pair_key(w, loser) for w, loser in choices)
        self.pair = None

    def forget_pair(self) -> None:
        """The bursts changed (ranking arrived): the next move picks a new pair."""
        self.pair = None

    def _shoot(self) -> Shoot:
        shoot = self.nav.shoot
        if shoot is None:
            raise RuntimeError("compare used without an open shoot")
        return shoot

    # -- following the current photo --------------------------------------------------------
    def follow(self, key: str) -> None:
        """The user moved to `key`: in its burst's pair it takes the active side (a new burst gets a new pair)."""
        shoot = self._shoot()
        burst = shoot.burst_of(key)
        if self.champion_mode and burst.kind not in (PENDING, "bracket", "single"):
            self._champion_follow(key, burst)
            return
        if self.pair is None or shoot.burst_of(self.pair[0]) is not burst:
            pair = self._suggest_pair(burst)
            if pair is not None and key not in pair:
                partner = pairs.partner_for(
                    shoot.by_key[key].photo_id or -1, shoot.burst_ids(burst), self.store.decisions, set(self._compared)
                )
                pair = (key, shoot.by_id[partner].key) if partner is not None else None
            self.pair, self.active = pair, (pair.index(key) if pair else 0)
        elif key in self.pair:
            self.active = self.pair.index(key)
        else:
            sides = list(self.pair)
            sides[self.active] = key
            self.pair = (sides[0], sides[1])
        self.nav.focus(key)
        self.changed.emit()

    def _champion_follow(self, key: str, burst: Burst) -> None:
        """Champion mode: the champion stays on the left; any other photo of the burst goes on the right."""
        if self.champion not in burst.keys:
            self.champion, self.faced = None, set()
        pair = self._champion_pair(burst)
        if pair is not None and key != pair[0]:
            pair = (pair[0], key)
        self.pair, self.active = pair, (0 if pair is None or key == pair[0] else 1)
        self.nav.focus(key)
        self.changed.emit()

    # -- choosing ---------------------------------------------------------------------------
    def choose(self, side: int) -> bool:
        """The photo on `side` (0 left, 1 right) is the better one: record it, show the next pair."""
        if self.pair is None:
            burst = self.nav.current_burst()
            self.message.emit(
                "info",
                "An exposure bracket is kept whole: there is nothing to choose between."
                if burst is not None and burst.kind == "bracket"
                else "Nothing to compare here: a burst needs two ranked photos.",
            )
            return False
        shoot = self._shoot()
        winner_key, loser_key = self.pair[side], self.pair[1 - side]
        winner, loser = (shoot.by_key[k].photo_id for k in (winner_key, loser_key))
        if winner is None or loser is None:
            self.message.emit("warning", "These photos have no catalog entry, so no choice can be saved.")
            return False
        before = self.state()

        def redo() -> None:
            self._count(winner, loser, +1)
            self.crown(winner_key, loser_key)
            self.next_pair()

        def undo() -> None:
            self._count(winner, loser, -1)
            self.restore(before)

        def failed(exc: Exception) -> None:
            undo()
            self.store.failed.emit(exc)

        names = f"{shoot.by_key[winner_key].name} over {shoot.by_key[loser_key].name}"
        redo()  # shown at once; the catalog write follows on its thread
        self.store.record_choice(f"choice {names}", winner, loser, redo, undo, failed)
        return True

    def _count(self, winner: int, loser: int, delta: int) -> None:
        key = pairs.pair_key(winner, loser)
        self._compared[key] += delta
        if self._compared[key] <= 0:
            del self._compared[key]

    def crown(self, winner_key: str, loser_key: str) -> None:
        """Champion mode: the better one stays on the left, both have met; the next challenger comes in."""
        if self.champion_mode:
            self.faced |= {winner_key, loser_key}
            self.champion = winner_key

    def state(self) -> PairState:
        return PairState(self.pair, self.active, self.nav.current, self.champion, set(self.faced), self.exhausted)

    def restore(self, state: PairState) -> None:
        self.pair, self.active, self.exhausted = state.pair, state.active, state.exhausted
        self.champion, self.faced = state.champion, set(state.faced)
        self.nav.focus(state.current)
        self.changed.emit()

    # -- champion mode: keep the best so far on the left, step the challengers through on the right --
    def set_champion_mode(self, on: bool) -> None:
        self.champion_mode = on
        self.champion, self.faced = None, set()
        self.next_pair()

    def _champion_pair(self, burst: Burst) -> Pair | None:
        """(champion, next challenger): the challengers come in rank order, each once per round."""
        keys = [k for k in burst.keys if self.nav.visible(k)]
        if len(keys) < 2:
            return None
        if self.champion not in keys:
            self.champion, self.faced = keys[0], {keys[0]}
        waiting = [k for k in keys if k != self.champion and k not in self.faced]
        self.exhausted = not waiting
        if not waiting:
            last = next((k for k in reversed(keys) if k != self.champion), keys[1])
            return self.champion, last
        return self.champion, waiting[0]

    # -- the next pair ------------------------------------------------------------------------
    def next_pair(self) -> None:
        burst = self.nav.current_burst()
        if burst is not None:
            self._set_pair(self._suggest_pair(burst), active=0)

    def _suggest_pair(self, burst: Burst) -> Pair | None:
        """ranker.culling.pairs.next_pairs (the pair the model is least sure about) among photos without a flag;
        the two best-ranked undecided ones when that finds nothing new."""
        if burst.kind in (PENDING, "bracket"):
            return None  # a bracket's frames belong together (HDR): there is no better one to choose
        if self.champion_mode:
            return self._champion_pair(burst)
        shoot = self._shoot()
        ids = shoot.burst_ids(burst)
        open_scores: dict[int, float] = {}
        for pid in ids:
            score = shoot.by_id[pid].score
            if self.store.get(pid).flag is None and score is not None:
                open_scores[pid] = score
        suggested: tuple[int, int] | None = None
        if len(open_scores) >= 2:
            found = pairs.next_pairs(open_scores, decided=set(self._compared), k=1)
            suggested = found[0] if found else None
        if suggested is not None:
            self.exhausted = False
        else:
            suggested, self.exhausted = pairs.default_pair(ids, self.store.decisions, set(self._compared))
        if suggested is None:
            return None
        return shoot.by_id[suggested[0]].key, shoot.by_id[suggested[1]].key

    def _set_pair(self, pair: Pair | None, active: int) -> None:
        self.pair, self.active = pair, active
        if pair is not None:
            self.nav.focus(pair[active])
        self.changed.emit()

    def swap_active(self) -> None:
        if self.pair is not None:
            self.active = 1 - self.active
            self.nav.focus(self.pair[self.active])
            self.changed.emit()
