"""The compare pair of a Session: which two photos are shown, recording which is better, and undoing it."""

from __future__ import annotations

from phototriage_gui import pairs
from phototriage_gui.models.shoot import PENDING, Burst
from phototriage_gui.undo import ChoiceCommand
from ranker.catalog import CatalogError
from ranker.decisions import Decision


class CompareMixin:
    """Mixed into Session (which owns the state: shoot, decisions, pair, active, exhausted, _compared)."""

    def choose(self, side: int) -> bool:
        """The photo on `side` (0 left, 1 right) is the better one: record it, show the next pair."""
        if self.pair is None:
            burst = self.current_burst()
            self.message.emit(
                "info",
                "An exposure bracket is kept whole: there is nothing to choose between."
                if burst is not None and burst.kind == "bracket"
                else "Nothing to compare here: a burst needs two ranked photos.",
            )
            return False
        winner_key, loser_key = self.pair[side], self.pair[1 - side]
        winner, loser = (self.shoot.by_key[k].photo_id for k in (winner_key, loser_key))
        before = (self.pair, self.active, self.current, self.champion_state(), self.exhausted)
        try:
            choice_id = self.record_choice(winner, loser)
        except CatalogError as exc:
            self.report_catalog_error(exc)
            return False
        names = (self.shoot.by_key[winner_key].name, self.shoot.by_key[loser_key].name)
        self.undo_stack.push(ChoiceCommand(self, winner, loser, choice_id, before, "{} over {}".format(*names)))
        self.crown(winner_key, loser_key)
        self.next_pair()
        return True

    def crown(self, winner_key: str, loser_key: str) -> None:
        """Champion mode: the better one stays on the left, both have met; the next challenger comes in."""
        if self.champion_mode:
            self.faced |= {winner_key, loser_key}
            self.champion = winner_key

    # -- champion mode: keep the best so far on the left, step the challengers through on the right --
    def set_champion_mode(self, on: bool) -> None:
        self.champion_mode = on
        self.champion, self.faced = None, set()
        self.next_pair()

    def champion_state(self):
        return self.champion, set(self.faced)

    def _champion_pair(self, burst: Burst) -> tuple[str, str] | None:
        """(champion, next challenger): the challengers come in rank order, each once per round."""
        keys = [k for k in burst.keys if self.visible(k)]
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

    def record_choice(self, winner: int, loser: int) -> int:
        choice_id = self.catalog.add_choice(winner, loser, source="compare")
        self._compared[pairs.pair_key(winner, loser)] += 1
        return choice_id

    def forget_choice(self, choice_id: int, winner: int, loser: int) -> None:
        self.catalog.remove_choice(choice_id)
        key = pairs.pair_key(winner, loser)
        self._compared[key] -= 1
        if self._compared[key] <= 0:
            del self._compared[key]

    def next_pair(self) -> None:
        burst = self.current_burst()
        if burst is not None:
            self._set_pair(self._suggest_pair(burst), active=0)

    def restore_pair(self, state) -> None:
        pair, active, current, (self.champion, self.faced), self.exhausted = state
        self.pair, self.active = pair, active
        self._set_current_only(current)
        self.pairChanged.emit()

    def _suggest_pair(self, burst: Burst) -> tuple[str, str] | None:
        """ranker.learning.next_pairs (the pair the model is least sure about) among photos without a flag;
        the two best-ranked undecided ones when that finds nothing new."""
        if burst.kind in (PENDING, "bracket"):
            return None  # a bracket's frames belong together (HDR): there is no better one to choose
        if self.champion_mode:
            return self._champion_pair(burst)
        ids = self.shoot.burst_ids(burst)
        open_scores = {
            pid: self.shoot.by_id[pid].score
            for pid in ids
            if self.decisions.get(pid, Decision()).flag is None and self.shoot.by_id[pid].score is not None
        }
        suggested = None
        if len(open_scores) >= 2:
            try:
                from ranker.learning import next_pairs
            except ImportError:  # an install without the learning module still compares best-first
                next_pairs = None
            if next_pairs is not None:
                found = next_pairs(open_scores, decided=set(self._compared), k=1)
                suggested = found[0] if found else None
        if suggested is not None:
            self.exhausted = False
        else:
            suggested, self.exhausted = pairs.default_pair(ids, self.decisions, set(self._compared))
        return None if suggested is None else tuple(self.shoot.by_id[pid].key for pid in suggested)

    def _set_pair(self, pair: tuple[str, str] | None, active: int) -> None:
        self.pair, self.active = pair, active
        if pair is not None:
            self._set_current_only(pair[active])
        self.pairChanged.emit()

    def swap_active(self) -> None:
        if self.pair is not None:
            self.active = 1 - self.active
            self._set_current_only(self.pair[self.active])
            self.pairChanged.emit()
