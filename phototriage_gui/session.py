"""One open shoot: its photos, decisions, compare pair, filter and ranking job; the window only shows it."""

from __future__ import annotations

import collections
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from phototriage_gui import pairs, shoot_cache
from phototriage_gui.compare_state import CompareMixin
from phototriage_gui.models.shoot import PENDING, Burst, PhotoItem, Shoot, decisions_from, pending_shoot, ranked_shoot
from phototriage_gui.undo import DecisionCommand
from phototriage_gui.workers import Worker
from ranker import preferences
from ranker.catalog import Catalog, CatalogError
from ranker.decisions import Decision
from ranker.listing import list_shoot
from ranker.scan import discover

FLAG_FILTERS = ("all", "picks", "rejects", "unflagged")
#: face filters: any photo, photos where someone blinks, where a face is soft, or with faces and neither
FACE_FILTERS = ("any", "eyes closed", "face soft", "faces fine")


@dataclass(frozen=True)
class Filter:
    flag: str = "all"  # one of FLAG_FILTERS
    min_rating: int = 0
    faces: str = "any"  # one of FACE_FILTERS

    def accepts(self, decision: Decision, signals: dict | None = None) -> bool:
        wanted = {
            "all": True,
            "picks": decision.flag == "pick",
            "rejects": decision.flag == "reject",
            "unflagged": decision.flag is None,
        }[self.flag]
        return wanted and decision.rating >= self.min_rating and self._faces_ok(signals or {})

    def _faces_ok(self, signals: dict) -> bool:
        closed, soft = signals.get("eyes_closed", 0) > 0, signals.get("faces_soft", 0) > 0
        return {
            "any": True,
            "eyes closed": closed,
            "face soft": soft,
            "faces fine": signals.get("faces", 0) > 0 and not closed and not soft,
        }[self.faces]


@dataclass(frozen=True)
class Problem:
    where: str  # a file path, or "catalog"
    reason: str


class Session(CompareMixin, QObject):
    shootChanged = Signal()  # photos and bursts replaced (opened, or ranking arrived)
    decisionsChanged = Signal(list)  # keys whose decision changed
    currentChanged = Signal(str)
    pairChanged = Signal()
    filterChanged = Signal()
    problemsChanged = Signal()
    message = Signal(str, str)  # level ("error" | "warning" | "info"), text
    rankingStarted = Signal(object)  # the Worker, for the status bar's progress and Cancel
    offerRecursive = Signal(str, int)  # a folder with no photos of its own, and how many its sub-folders hold

    def __init__(
        self,
        catalog: Catalog | None,
        jobs_pool: Any,
        prefs: preferences.Preferences | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.catalog = catalog
        self.jobs_pool = jobs_pool  # one thread: it owns the torch model and device
        self.prefs = prefs or preferences.load()
        self.undo_stack = QUndoStack(self)
        self.shoot: Shoot | None = None
        self.ranking = None  # the latest ShootRanking
        self.decisions: dict[int, Decision] = {}
        self.current: str | None = None
        self.pair: tuple[str, str] | None = None
        self.active = 0  # which side of the pair is the current photo
        self.exhausted = False  # every pair of this burst has been judged
        self.filter = Filter()
        self.champion_mode = False  # compare keeps the best so far and steps the challengers past it
        self.champion: str | None = None
        self.faced: set[str] = set()  # this round's photos that already met the champion
        self.stacks_collapsed = False  # every burst shown as its #1 only, like Lightroom's collapsed stacks
        self._stacks_flipped: set[int] = set()  # burst numbers the user expanded or collapsed against that
        self.problems: list[Problem] = []
        self._touched = False  # the user moved or decided since the shoot opened
        self._cull_when_ranked = False
        self._compared: collections.Counter[frozenset[int]] = collections.Counter()
        self._worker: Worker | None = None
        self._decided_while_ranking: dict[int, Decision] = {}
        if catalog is not None:
            self.problems.extend(Problem("catalog", notice) for notice in catalog.notices)
        self.sidecars = self._sidecar_writer(catalog)  # live write-back; None without a catalog

    def _sidecar_writer(self, catalog: Catalog | None):
        """Every committed decision also goes, merged, into the sidecars beside the originals (off this thread)."""
        from ranker.writeback import SidecarWriter

        if catalog is None:
            return None
        return SidecarWriter(
            catalog,
            self.prefs.xmp_style(),
            lambda pid: catalog.photo(pid).paths,
            lambda level, text: self.message.emit(level, text),
            lambda _folder: self.shoot is not None and self.prefs.writes_sidecars_in(self.shoot.root),
        )

    def close(self) -> None:
        """Write what is still queued for the sidecars (called when the window closes)."""
        if self.sidecars is not None:
            self.sidecars.close()

    # -- opening and ranking -----------------------------------------------------------------
    def open(self, folder: Path | str, start_at: str | None = None) -> bool:
        """List `folder` and show it at once (at `start_at`, where the user left off, when still there);
        the ranking fills in behind."""
        folder = Path(folder).expanduser()
        try:
            found = discover(folder, self.prefs.recursive)
        except OSError as exc:
            self.message.emit("error", f"Cannot open {folder}: {exc.strerror or exc}")
            return False
        self.cancel_ranking()
        known: dict[str, int] = {}
        if self.catalog is not None and found:
            # Decide at once: listing gives every photo its catalog identity (no decoding, no hashing,
            # one transaction), so P/X/0-5 work from the first frame shown, long before features exist.
            try:
                listing = list_shoot(folder, self.catalog, self.prefs.recursive)
            except CatalogError as exc:
                self.report_catalog_error(exc)
            else:
                found = [listed.files for listed in listing.photos]
                known = {os.fsdecode(listed.path): listed.photo_id for listed in listing.photos if listed.photo_id >= 0}
        self.shoot = pending_shoot(folder, found, known)
        remembered = (
            shoot_cache.load(folder, self.prefs.recursive, set(self.shoot.by_key))
            if self.catalog is not None and found
            else None
        )
        if remembered is not None and all(known.get(p.key) == p.photo_id for p in remembered.photos):
            self.shoot = remembered  # nothing changed since it was ranked: no need to rank it again
        self.ranking = None
        self.decisions = self.catalog.decisions(known.values()) if self.catalog else {}
        self._compared = collections.Counter(
            pairs.pair_key(w, loser) for _, w, loser, _, _ in (self.catalog.choices() if self.catalog else [])
        )
        self.problems = [p for p in self.problems if p.where == "catalog"]
        self.undo_stack.clear()
        self.current = (
            start_at if start_at in self.shoot.by_key else self.shoot.photos[0].key if self.shoot.photos else None
        )
        self._touched = start_at in self.shoot.by_key  # a resumed position is the user's, ranking keeps it
        self.pair = None
        self._update_prefs(self.prefs.with_recent(folder))
        self.shootChanged.emit()
        self.problemsChanged.emit()
        self.currentChanged.emit(self.current or "")
        if not found:
            nested = [] if self.prefs.recursive else self._photos_below(folder)
            if nested:
                self.offerRecursive.emit(str(folder), len(nested))
            else:
                self.message.emit("warning", f"No photos in {folder}")
        elif self.shoot.ranked:
            self.next_pair() if not self._touched else self.set_current(self.current)
            self.message.emit(
                "info", "Nothing changed since this shoot was ranked: shown as it was (Ctrl+R ranks it again)."
            )
            self._sync_sidecars()  # shown from the cache, so no scan: read what other tools changed here
        else:
            self.start_ranking()
        return True

    @staticmethod
    def _photos_below(folder: Path) -> list:
        try:
            return discover(folder, True)
        except OSError:
            return []

    def open_recursively(self, folder: Path | str) -> bool:
        """The user accepted the offer: include sub-folders from now on (a preference) and reopen."""
        self._update_prefs(dataclasses.replace(self.prefs, recursive=True))
        return self.open(folder)

    def start_ranking(self) -> None:
        if self.shoot is None or self.catalog is None:
            return
        self.cancel_ranking()
        root, catalog, prefs = self.shoot.root, self.catalog, self.prefs

        def job(cancel):
            from ranker.bursts import GroupingOptions
            from ranker.pipeline import PipelineOptions, rank_shoot  # imports torch: off the UI thread

            options = PipelineOptions(
                recursive=prefs.recursive,
                device=prefs.device,
                grouping=GroupingOptions(gap_seconds=prefs.burst_gap_seconds),
                blink_strictness=prefs.blink_strictness,
            )
            return rank_shoot(root, catalog, options=options, cancel=cancel)

        worker = Worker(job, self)
        self._worker = worker
        self._decided_while_ranking = {}
        worker.result.connect(lambda ranking, w=worker: self._ranked(w, ranking))
        worker.error.connect(lambda exc, w=worker: self._ranking_failed(w, exc))
        worker.cancelled.connect(
            lambda w=worker: (
                w is self._worker
                and self.message.emit("info", "Ranking cancelled: photos stay in file order. Ctrl+R ranks again.")
            )
        )
        worker.finished.connect(lambda w=worker: self._worker_done(w))
        self.rankingStarted.emit(worker)
        worker.start(self.jobs_pool)

    def _worker_done(self, worker: Worker) -> None:
        if worker is self._worker:
            self._worker = None
        worker.deleteLater()

    def cancel_ranking(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    @property
    def ranking_running(self) -> bool:
        return self._worker is not None and self._worker.running

    def _ranked(self, worker: Worker, ranking) -> None:
        if worker is not self._worker or self.shoot is None:
            return  # a cancelled or superseded run
        self._worker = None
        self.ranking = ranking
        # Ranking never moves the photo the user is on: only a shoot nobody has touched yet starts at
        # the first ranked burst's most useful pair.
        untouched = bool(self.shoot.photos) and not self._touched
        self.shoot = ranked_shoot(ranking, self.shoot)
        self.decisions.update(decisions_from(ranking))
        self.decisions.update(self._decided_while_ranking)
        self.problems = [p for p in self.problems if p.where == "catalog"]
        self.problems.extend(Problem(str(e.path), e.reason) for e in ranking.errors)
        self._read_back(ranking.stats)
        if untouched or self.current not in self.shoot.by_key:
            self.current = self.shoot.photos[0].key if self.shoot.photos else None
        self.pair = None
        self.shootChanged.emit()
        self.problemsChanged.emit()
        if untouched:
            self.next_pair()  # start where culling starts: the first burst's most useful pair
        self.set_current(self.current)
        shoot_cache.save(self.shoot, self.prefs.recursive)
        if self._cull_when_ranked:
            self._cull_when_ranked = False
            self.auto_cull()

    def _sync_sidecars(self) -> None:
        from ranker.readback import sync_photos

        ids = [(p.photo_id, p.paths) for p in self.shoot.photos if p.photo_id is not None and p.photo_id >= 0]
        try:
            changes, errors = sync_photos(self.catalog, ids)
        except CatalogError as exc:
            self.report_catalog_error(exc)
            return
        changed = [c.photo_id for c in changes if c.kept == "disk"]
        if changed:
            self.decisions.update(self.catalog.decisions(changed))
            self.decisionsChanged.emit([self.shoot.by_id[pid].key for pid in changed if pid in self.shoot.by_id])
        self._read_back({"xmp_changes": changes, "xmp_errors": errors})
        self.problemsChanged.emit()

    def _read_back(self, stats: dict) -> None:
        """Say what the scan took from sidecars other tools changed; rewrite those where ours was newer."""
        changes = stats.get("xmp_changes", ())
        for change in changes:
            if change.kept == "catalog" and self.sidecars is not None:
                self.sidecars.submit(change.photo_id, change.catalog)
        if changes:
            conflicts = sum(1 for c in changes if c.conflict)
            self.message.emit(
                "warning" if conflicts else "info",
                f"{len(changes)} decision(s) changed in other tools since the last scan"
                + (f", {conflicts} in conflict (the newer kept)" if conflicts else "")
                + ": "
                + "; ".join(c.describe() for c in changes[:3])
                + ("…" if len(changes) > 3 else ""),
            )
        self.problems.extend(Problem(str(path), reason) for path, reason in stats.get("xmp_errors", ()))

    def _ranking_failed(self, worker: Worker, exc: Exception) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        if isinstance(exc, CatalogError):
            self.report_catalog_error(exc)
        else:
            self.message.emit("error", f"Ranking failed: {exc}")

    def report_catalog_error(self, exc: CatalogError) -> None:
        self.problems.append(Problem("catalog", str(exc)))
        self.problemsChanged.emit()
        self.message.emit("error", str(exc))

    def set_preferences(self, prefs: preferences.Preferences) -> None:
        """Save; a changed grouping or device re-ranks the open shoot, a changed folder scope reopens it."""
        old, self.prefs = self.prefs, prefs
        self._update_prefs(prefs)
        if self.sidecars is not None:
            self.sidecars.style = prefs.xmp_style()
        if self.shoot is None:
            return
        if prefs.recursive != old.recursive:
            self.open(self.shoot.root)
        elif (prefs.burst_gap_seconds, prefs.device, prefs.blink_strictness) != (
            old.burst_gap_seconds,
            old.device,
            old.blink_strictness,
        ):
            self.start_ranking()

    def _update_prefs(self, prefs: preferences.Preferences) -> None:
        self.prefs = prefs
        try:
            preferences.save(prefs)
        except OSError as exc:
            self.message.emit("warning", f"Preferences not saved: {exc.strerror or exc}")

    # -- decisions -------------------------------------------------------------------------
    def decision(self, key: str) -> Decision:
        photo = self.shoot.by_key.get(key) if self.shoot else None
        if photo is None or photo.photo_id is None:
            return Decision()
        return self.decisions.get(photo.photo_id, Decision())

    def current_photo(self) -> PhotoItem | None:
        return self.shoot.by_key.get(self.current) if self.shoot and self.current else None

    def decide(self, text: str, key: str | None = None, **change) -> bool:
        """Change the current (or given) photo's decision now, in the catalog too; undoable."""
        photo = self.shoot.by_key.get(key or self.current) if self.shoot else None
        if photo is None:
            return False
        if not self.visible(photo.key):
            self.message.emit("warning", f"{photo.name} is hidden by the filter; nothing was changed.")
            return False
        if photo.photo_id is None:
            self.message.emit(
                "warning",
                f"{photo.name} has no catalog entry (the folder could not be listed; "
                "see View ▸ Problems), so nothing can be saved for it.",
            )
            return False
        before = self.decisions.get(photo.photo_id, Decision())
        after = before.with_(**change)
        if after == before:
            return True
        self._touched = True
        done = self.push_decisions(text, [(photo.photo_id, before, after)])
        if done:
            self.ensure_current_visible()  # a pick under "Unflagged" leaves the view: go on to the next
        return done

    def push_decisions(self, text: str, changes: list[tuple[int, Decision, Decision]]) -> bool:
        try:
            self.write_decisions([(pid, after) for pid, _, after in changes])
        except CatalogError as exc:
            self.report_catalog_error(exc)
            return False
        self.undo_stack.push(DecisionCommand(self, text, changes))
        return True

    def write_decisions(self, items: list[tuple[int, Decision]], source: str = "user") -> None:
        keys = []
        try:
            for photo_id, decision in items:
                self.catalog.set_decision(photo_id, decision, source=source)
                self.decisions[photo_id] = decision
                if self.sidecars is not None:
                    self.sidecars.submit(photo_id, decision)
                if self.ranking_running:
                    self._decided_while_ranking[photo_id] = decision
                photo = self.shoot.by_id.get(photo_id)
                if photo is not None:
                    keys.append(photo.key)
        finally:
            if keys:
                self.decisionsChanged.emit(keys)

    def reveal(self, photo_id: int) -> None:
        """Make the photo an undo or redo changed the current one, so the user sees what changed."""
        photo = self.shoot.by_id.get(photo_id) if self.shoot else None
        if photo is None:
            return
        if self.visible(photo.key):
            self.set_current(photo.key)
        else:
            self.message.emit("info", f"{photo.name} changed, but the filter or a collapsed stack hides it.")

    # -- navigation --------------------------------------------------------------------------
    def current_burst(self) -> Burst | None:
        return self.shoot.burst_of(self.current) if self.shoot and self.current in self.shoot.by_key else None

    def set_current(self, key: str | None) -> None:
        """Show `key`; in its burst's compare pair it takes the active side (a new burst gets a new pair)."""
        if self.shoot is None or key not in self.shoot.by_key:
            return
        new_burst = self.shoot.burst_of(key)
        if self.champion_mode and new_burst.kind not in (PENDING, "bracket", "single"):
            self._champion_current(key, new_burst)
            return
        if self.pair is None or self.shoot.burst_of(self.pair[0]) is not new_burst:
            pair = self._suggest_pair(new_burst)
            if pair is not None and key not in pair:
                partner = pairs.partner_for(
                    self.shoot.by_key[key].photo_id,
                    self.shoot.burst_ids(new_burst),
                    self.decisions,
                    set(self._compared),
                )
                pair = (key, self.shoot.by_id[partner].key) if partner is not None else None
            self.pair, self.active = pair, (pair.index(key) if pair else 0)
        elif key in self.pair:
            self.active = self.pair.index(key)
        else:
            sides = list(self.pair)
            sides[self.active] = key
            self.pair = tuple(sides)
        self._set_current_only(key)
        self.pairChanged.emit()

    def _champion_current(self, key: str, burst: Burst) -> None:
        """Champion mode: the champion stays on the left; any other photo of the burst goes on the right."""
        if self.champion not in burst.keys:
            self.champion, self.faced = None, set()
        pair = self._champion_pair(burst)
        if pair is not None and key != pair[0]:
            pair = (pair[0], key)
        self.pair, self.active = pair, (0 if pair is None or key == pair[0] else 1)
        self._set_current_only(key)
        self.pairChanged.emit()

    def _set_current_only(self, key: str | None) -> None:
        if key != self.current:
            self._touched = True
            self.current = key
            self.currentChanged.emit(key or "")

    def visible(self, key: str) -> bool:
        """The filter lets it through and it is not tucked under a collapsed stack's cover."""
        photo = self.shoot.by_key.get(key) if self.shoot else None
        if not self.filter.accepts(self.decision(key), photo.signals if photo else None):
            return False
        burst = self.shoot.burst_of(key) if self.shoot and key in self.shoot.by_key else None
        return burst is None or not self.is_collapsed(burst) or key == self._cover(burst)

    def set_filter(self, new: Filter) -> None:
        self.filter = new
        self.filterChanged.emit()
        self.ensure_current_visible()

    # -- stacks --------------------------------------------------------------------------------
    def is_collapsed(self, burst: Burst) -> bool:
        if burst.kind in (PENDING, "single") or len(burst.keys) < 2:
            return False
        return self.stacks_collapsed != (burst.number in self._stacks_flipped)

    def _cover(self, burst: Burst) -> str | None:
        """A collapsed burst shows its best photo the filter lets through."""
        return next((k for k in burst.keys if self.filter.accepts(self.decision(k))), None)

    def stack_size(self, key: str) -> int | None:
        """The burst's size when `key` is the cover of a collapsed stack, else None."""
        burst = self.shoot.burst_of(key) if self.shoot and key in self.shoot.by_key else None
        if burst is None or not self.is_collapsed(burst) or key != self._cover(burst):
            return None
        return len(burst.keys)

    def toggle_stack(self) -> bool:
        """S: collapse the current burst to its #1, or expand it again."""
        burst = self.current_burst()
        if burst is None or burst.kind in (PENDING, "single") or len(burst.keys) < 2:
            return False
        self._stacks_flipped ^= {burst.number}
        self.filterChanged.emit()
        self.ensure_current_visible()
        return True

    def toggle_all_stacks(self) -> None:
        """Shift+S: every burst collapsed to its #1, or all expanded."""
        self.stacks_collapsed = not self.stacks_collapsed
        self._stacks_flipped.clear()
        self.filterChanged.emit()
        self.ensure_current_visible()

    def ensure_current_visible(self) -> None:
        """Keys must never act on a photo the user cannot see: when the filter or a stack hides the
        current photo, move to the first shown one after it (else before it)."""
        if self.shoot is None or self.current is None or self.visible(self.current):
            return
        burst = self.current_burst()
        if burst is not None and self.is_collapsed(burst) and self._cover(burst) is not None:
            self.set_current(self._cover(burst))  # collapsing a stack lands on its cover
            return
        if not self.step(1) and not self.step(-1):
            self.message.emit("info", "No photo matches this filter.")

    def step(self, delta: int) -> bool:
        """Move to the next/previous photo the filter shows, in strip order."""
        if self.shoot is None or not self.shoot.photos:
            return False
        start = self.shoot.index.get(self.current, -1 if delta > 0 else len(self.shoot.photos))
        index = start + delta
        while 0 <= index < len(self.shoot.photos):
            key = self.shoot.photos[index].key
            if self.visible(key):
                self.set_current(key)
                return True
            index += delta
        return False

    def burst_step(self, delta: int) -> bool:
        """Move to the best shown photo of the next/previous burst that has one; singles are not
        bursts (→ reaches them), so ↓ skips them."""
        if self.shoot is None or self.current is None:
            return False
        number = self.shoot.by_key[self.current].burst + delta
        while 0 <= number < len(self.shoot.bursts):
            burst = self.shoot.bursts[number]
            shown = [k for k in burst.keys if self.visible(k)] if burst.kind != "single" else []
            if shown:
                self.set_current(shown[0])
                return True
            number += delta
        self.message.emit("info", f"No {'later' if delta > 0 else 'earlier'} burst; → and ← step through singles.")
        return False

    def auto_cull(self) -> bool:
        """Pick the best `keep_per_burst` of every burst the user has not decided; one undo step."""
        from ranker.culling import auto_cull

        if self.ranking is None:
            if self.shoot is not None and self.shoot.ranked and not self.ranking_running:
                self._cull_when_ranked = True  # shown from the last visit: the full ranking comes first
                self.start_ranking()
            self.message.emit("info", "Auto cull needs the ranking; it runs once the shoot is ranked.")
            return False
        ranking = self._ranking_with_current_decisions()
        ids = [p.photo_id for b in ranking.bursts for p in b.photos]
        before = {pid: self.decisions.get(pid, Decision()) for pid in ids}
        summary = None
        try:
            summary = auto_cull(self.catalog, ranking, keep=self.prefs.keep_per_burst)
        except CatalogError as exc:
            self.report_catalog_error(exc)  # some photos may be marked already: they stay undoable below
        after = self.catalog.decisions(ids)
        changes = [(pid, before[pid], after[pid]) for pid in ids if after[pid] != before[pid]]
        if changes:
            for pid, _, new in changes:
                if self.sidecars is not None:
                    self.sidecars.submit(pid, new)
            self.decisions.update(after)
            self.decisionsChanged.emit([self.shoot.by_id[pid].key for pid, _, _ in changes])
            self.undo_stack.push(DecisionCommand(self, f"auto cull of {len(changes)} photos", changes))
        if summary is not None:
            self.message.emit("info", summary.describe())
        return summary is not None

    def _ranking_with_current_decisions(self):
        """The ranking with today's decisions: its own were read when it was assembled."""

        def photo(p):
            return dataclasses.replace(p, decision=self.decisions.get(p.photo_id, p.decision))

        bursts = tuple(dataclasses.replace(b, photos=tuple(photo(p) for p in b.photos)) for b in self.ranking.bursts)
        return dataclasses.replace(self.ranking, bursts=bursts)
