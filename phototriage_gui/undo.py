"""Undoable edits (QUndoCommand): each writes the catalog itself, so undo and redo are saved as they happen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from ranker.catalog import CatalogError
from ranker.decisions import Decision

if TYPE_CHECKING:
    from phototriage_gui.session import Session


class _Command(QUndoCommand):
    """Subclasses define apply() and revert(). The first redo() is skipped: the session already wrote the
    change before pushing the command, so a failed write (locked catalog, full disk) never leaves a
    command on the stack for a change not made."""

    def __init__(self, session: Session, text: str):
        super().__init__(text)
        self.session = session
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._guarded(self.apply)

    def undo(self) -> None:
        self._guarded(self.revert)

    def _guarded(self, step) -> None:
        try:
            step()
        except CatalogError as exc:
            self.session.report_catalog_error(exc)


class DecisionCommand(_Command):
    """One or more photos' decisions changed together (a keypress, or an auto cull)."""

    def __init__(self, session: Session, text: str, changes: list[tuple[int, Decision, Decision]]):
        super().__init__(session, text)
        self.changes = changes  # (photo_id, before, after)

    def apply(self) -> None:
        self.session.write_decisions([(pid, after) for pid, _, after in self.changes], source="user")
        self.session.reveal(self.changes[0][0])

    def revert(self) -> None:
        self.session.write_decisions([(pid, before) for pid, before, _ in self.changes], source="user")
        self.session.reveal(self.changes[0][0])  # show what was undone, so the user sees it happen


class ChoiceCommand(_Command):
    """ "Left is better": a pairwise choice, and the pair that was on screen when it was made."""

    def __init__(self, session: Session, winner: int, loser: int, choice_id: int, pair_before, names: str = ""):
        super().__init__(session, f"choice {names}" if names else "choose the better photo")
        self.winner, self.loser, self.choice_id = winner, loser, choice_id
        self.pair_before = pair_before

    def apply(self) -> None:
        self.choice_id = self.session.record_choice(self.winner, self.loser)
        self.session.crown(*(self.session.shoot.by_id[pid].key for pid in (self.winner, self.loser)))
        self.session.next_pair()

    def revert(self) -> None:
        self.session.forget_choice(self.choice_id, self.winner, self.loser)
        self.session.restore_pair(self.pair_before)
