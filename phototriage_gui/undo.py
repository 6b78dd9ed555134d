"""Undoable edits (QUndoCommand): each holds the two callables that write its change and its reversal."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand


class CatalogCommand(QUndoCommand):
    """The first redo() is skipped: the store has already written the change (and only pushes the command
    once the write succeeded), so a failed write (locked catalog, full disk) never leaves a command on the
    stack for a change not made. Later redo()/undo() call `apply`/`revert`, which report their own errors."""

    def __init__(self, text: str, apply: Callable[[], None], revert: Callable[[], None]):
        super().__init__(text)
        self._apply, self._revert = apply, revert
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._apply()

    def undo(self) -> None:
        self._revert()
