"""DecisionStore: the one cache of decisions; writes them and choices off the UI thread; makes their undo steps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from phototriage_gui.state.catalog_queue import CatalogQueue
from phototriage_gui.undo import CatalogCommand
from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError

if TYPE_CHECKING:
    from ranker.store.writeback import SidecarWriter

Change = tuple[int, Decision, Decision]  # (photo_id, before, after)


class _ChoiceRecord:
    """The catalog id of a choice; set on the catalog thread, so an undo queued behind a redo sees it."""

    def __init__(self, choice_id: int):
        self.choice_id = choice_id


class DecisionStore(QObject):
    """Each decision is shown at once and written behind. A write that fails puts the cache back, says why
    (`failed`) and pushes no undo step; one that succeeds pushes its undo step and reaches the sidecars."""

    changed = Signal(list)  # photo ids whose decision changed
    failed = Signal(object)  # the exception (a CatalogError for known failures: locked, read-only, full)

    def __init__(
        self,
        queue: CatalogQueue,
        undo_stack: QUndoStack,
        sidecars: SidecarWriter | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.queue = queue
        self.undo_stack = undo_stack
        self.sidecars = sidecars
        self._decisions: dict[int, Decision] = {}
        self._serial = 0  # counts local changes: a decision made after a snapshot was read is newer than it
        self._changed_at: dict[int, int] = {}
        queue.failed.connect(self.failed.emit)

    # -- reading -----------------------------------------------------------------------------
    def get(self, photo_id: int | None) -> Decision:
        return Decision() if photo_id is None else self._decisions.get(photo_id, Decision())

    @property
    def decisions(self) -> Mapping[int, Decision]:
        """Every cached decision, read-only (for the pair chooser)."""
        return MappingProxyType(self._decisions)

    def reset(self, decisions: Mapping[int, Decision]) -> None:
        """A new shoot: its decisions as the catalog holds them. Emits nothing (the shoot itself changes)."""
        self._decisions = dict(decisions)
        self._changed_at.clear()
        self.undo_stack.clear()

    def mark(self) -> int:
        """A point in time: `adopt(…, since=mark)` keeps every change made after it."""
        return self._serial

    def adopt(self, decisions: Mapping[int, Decision], since: int | None = None, quiet: bool = False) -> list[int]:
        """Take decisions read elsewhere (a ranking assembled from the catalog, sidecars read back), except
        for photos changed here after `since`: those are newer than what was read. `quiet`: no `changed`."""
        changed = []
        for pid, decision in decisions.items():
            if since is not None and self._changed_at.get(pid, -1) > since:
                continue
            if self._decisions.get(pid, Decision()) != decision:
                self._decisions[pid] = decision
                changed.append(pid)
        if changed and not quiet:
            self.changed.emit(changed)
        return changed

    def _adopt_reloaded(self, decisions: Mapping[int, Decision], since: int) -> None:
        self.adopt(decisions, since)  # a result callback: adopt()'s list of changed ids is not needed here

    def reload(self, photo_ids: Iterable[int]) -> None:
        """Read these photos' decisions again from the catalog (another tool changed their sidecars)."""
        ids, since = list(photo_ids), self.mark()
        if ids:
            self.queue.submit(lambda catalog: catalog.decisions(ids), lambda found: self._adopt_reloaded(found, since))

    # -- writing -----------------------------------------------------------------------------
    def decide(self, text: str, photo_id: int, after: Decision, reveal: Callable[[int], None]) -> bool:
        """Change one photo's decision (undoable as `text`); False when nothing changed."""
        before = self.get(photo_id)
        if after == before:
            return False
        self.write(text, [(photo_id, before, after)], reveal)
        return True

    def write(self, text: str, changes: list[Change], reveal: Callable[[int], None], source: str = "user") -> None:
        """Show `changes` now and write them; once written, they are one undo step named `text`."""
        self._show([(pid, after) for pid, _, after in changes])
        command = self._command(text, changes, reveal)

        self._save(
            [(pid, after) for pid, _, after in changes], source, lambda _: self.undo_stack.push(command), changes
        )

    def written_elsewhere(self, text: str, changes: list[Change], reveal: Callable[[int], None]) -> None:
        """Changes a catalog job already wrote (an auto cull): shown, sent to the sidecars, undoable."""
        self._show([(pid, after) for pid, _, after in changes])
        self._to_sidecars([(pid, after) for pid, _, after in changes])
        self.undo_stack.push(self._command(text, changes, reveal))

    def resend_to_sidecars(self, photo_id: int, decision: Decision) -> None:
        """The catalog's decision was newer than a sidecar's: write it out again."""
        self._to_sidecars([(photo_id, decision)])

    def _command(self, text: str, changes: list[Change], reveal: Callable[[int], None]) -> CatalogCommand:
        return CatalogCommand(
            text,
            lambda: self._rewrite(changes, lambda c: c[2], reveal),
            lambda: self._rewrite(changes, lambda c: c[1], reveal),
        )

    def _rewrite(
        self, changes: list[Change], pick: Callable[[Change], Decision], reveal: Callable[[int], None]
    ) -> None:
        """Undo or redo: show the side `pick` chooses, write it, and show the user where it happened."""
        items = [(change[0], pick(change)) for change in changes]
        shown = [(pid, self.get(pid), decision) for pid, decision in items]
        self._show(items)
        self._save(items, "user", lambda _: None, shown)
        reveal(changes[0][0])

    def _show(self, items: list[tuple[int, Decision]]) -> None:
        self._serial += 1
        for pid, decision in items:
            self._decisions[pid] = decision
            self._changed_at[pid] = self._serial
        self.changed.emit([pid for pid, _ in items])

    def _save(
        self,
        items: list[tuple[int, Decision]],
        source: str,
        on_done: Callable[[None], object],
        changes: list[Change],
    ) -> None:
        serial, sidecars = self._serial, self.sidecars
        saved: list[int] = []  # appended on the catalog thread, read once the job has ended

        def job(catalog: Catalog) -> None:
            for pid, decision in items:  # each committed on its own: a decision shown survives a kill
                catalog.set_decision(pid, decision, source=source)
                saved.append(pid)
                if sidecars is not None:  # from this thread: a window closing right after still writes it
                    sidecars.submit(pid, decision)

        def failed(exc: Exception) -> None:
            # Show what the catalog holds: the unsaved ones go back, unless the user changed them again since.
            undone = [pid for pid, _, _ in changes if pid not in saved and self._changed_at.get(pid) == serial]
            for pid, before, _ in changes:
                if pid in undone:
                    self._decisions[pid] = before
            if undone:
                self.changed.emit(undone)
            self.failed.emit(exc)

        if not self.queue.submit(job, on_done, failed):
            failed(CatalogError("no catalog is open: decisions cannot be saved"))

    def _to_sidecars(self, items: list[tuple[int, Decision]]) -> None:
        if self.sidecars is not None:
            for pid, decision in items:
                self.sidecars.submit(pid, decision)

    # -- choices -----------------------------------------------------------------------------
    def record_choice(
        self,
        text: str,
        winner: int,
        loser: int,
        redo: Callable[[], None],
        undo: Callable[[], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Save "winner over loser"; once saved it is an undo step whose redo/undo also call `redo`/`undo`
        (the compare controller moves its pair). A failed save calls `failed` and pushes nothing."""
        record = _ChoiceRecord(-1)

        def add(catalog: Catalog) -> None:
            record.choice_id = catalog.add_choice(winner, loser, source="compare")

        def remove(catalog: Catalog) -> None:
            catalog.remove_choice(record.choice_id)

        def again() -> None:
            self.queue.submit(add)
            redo()

        def back() -> None:
            self.queue.submit(remove)
            undo()

        command = CatalogCommand(text, again, back)
        if not self.queue.submit(add, lambda _: self.undo_stack.push(command), failed):
            failed(CatalogError("no catalog is open: choices cannot be saved"))
