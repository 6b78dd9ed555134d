"""One open shoot: photos, current photo, filter and stacks; composes the decision store, compare and ranking."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from phototriage_gui import diagnostics, shoot_cache
from phototriage_gui.models.shoot import (
    PENDING,
    Burst,
    PhotoItem,
    Shoot,
    decisions_from,
    new_leaders,
    pending_shoot,
    ranked_shoot,
)
from phototriage_gui.state import catalog_jobs
from phototriage_gui.state.catalog_queue import CatalogQueue
from phototriage_gui.state.compare_controller import CompareController
from phototriage_gui.state.decision_store import DecisionStore
from phototriage_gui.state.filter import FACE_FILTERS, FLAG_FILTERS, Filter
from phototriage_gui.state.ranking_job import RankingJob
from phototriage_gui.workers import Pool
from ranker.decisions import Decision
from ranker.io.scan import PhotoFiles, discover
from ranker.problems import Problem
from ranker.store import preferences
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError

if TYPE_CHECKING:
    from ranker.culling.shoot_ranking import ShootRanking
    from ranker.store.writeback import SidecarWriter

__all__ = ["FACE_FILTERS", "FLAG_FILTERS", "Filter", "Problem", "Session"]


class Session(QObject):
    shootChanged = Signal()  # photos and bursts replaced (opened, or ranking arrived)
    decisionsChanged = Signal(list)  # keys whose decision changed
    currentChanged = Signal(str)
    filterChanged = Signal()
    problemsChanged = Signal()
    message = Signal(str, str)  # level ("error" | "warning" | "info"), text
    failure = Signal(str, str)  # an unexpected error: its text, and its traceback for the Details button
    offerRecursive = Signal(str, int)  # a folder with no photos of its own, and how many its sub-folders hold

    def __init__(
        self,
        catalog: Catalog | None,
        jobs_pool: Pool,
        prefs: preferences.Preferences | None = None,
        parent: QObject | None = None,
        catalog_pool: Pool | None = None,
    ):
        super().__init__(parent)
        self.catalog = catalog
        self.prefs = prefs or preferences.load()
        self.undo_stack = QUndoStack(self)
        self.shoot: Shoot | None = None
        self.current: str | None = None
        self.filter = Filter()
        self.stacks_collapsed = False  # every burst shown as its #1 only, like Lightroom's collapsed stacks
        self._stacks_flipped: set[int] = set()  # burst numbers the user expanded or collapsed against that
        self.problems: list[Problem] = []
        self._touched = False  # the user moved or decided since the shoot opened
        #: what the last change of model did to this shoot ("4 of 12 bursts have a new #1"), for the models panel
        self.model_change: str | None = None
        self._cull_when_ranked = False
        self._opening = 0  # the latest open(); a slower listing of an earlier one is dropped
        self._ranking_since = 0  # the store's mark when the running ranking started reading decisions
        self.sidecars: SidecarWriter | None = None  # live write-back; None without a catalog
        self.queue = CatalogQueue(None, catalog_pool if catalog_pool is not None else jobs_pool, self)
        self.store = DecisionStore(self.queue, self.undo_stack, None, self)
        self.store.changed.connect(self._decisions_changed)
        self.store.failed.connect(self.report_error)
        self.compare = CompareController(self.store, self, self)
        self.compare.message.connect(self.message.emit)
        self.ranking_job = RankingJob(jobs_pool, self)
        self.rankingStarted = self.ranking_job.started  # the Worker, for the status bar's progress and Cancel
        self.ranking_job.ranked.connect(self._ranked)
        self.ranking_job.failed.connect(self._ranking_failed)
        self.ranking_job.cancelled.connect(
            lambda: self.message.emit("info", "Ranking cancelled: photos stay in file order. Ctrl+R ranks again.")
        )
        if catalog is not None:
            self.attach_catalog(catalog)

    def open_catalog(self, factory: Callable[[], Catalog], failed: Callable[[Exception], None]) -> None:
        """Open the catalog on the catalog thread; a folder opened meanwhile is listed once it is there."""
        self.queue.open(factory, self.attach_catalog, failed)

    def attach_catalog(self, catalog: Catalog) -> None:
        self.catalog = self.queue.catalog = catalog
        self.sidecars = self.store.sidecars = self._sidecar_writer(catalog)
        if catalog.notices:
            self.problems.extend(Problem("catalog", notice) for notice in catalog.notices)
            self.problemsChanged.emit()

    def _sidecar_writer(self, catalog: Catalog) -> SidecarWriter:
        """Every committed decision also goes, merged, into the sidecars beside the originals (off this thread)."""
        from ranker.store.writeback import SidecarWriter

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

    @property
    def ranking(self) -> ShootRanking | None:
        """The latest ranking of the open shoot (None while it is listed, or shown from the cache)."""
        return self.ranking_job.latest

    @property
    def ranking_running(self) -> bool:
        return self.ranking_job.running

    # -- opening -----------------------------------------------------------------------------
    def open(self, folder: Path | str, start_at: str | None = None) -> bool:
        """List `folder` and show it (at `start_at`, where the user left off, when still there); the
        ranking fills in behind. The listing runs on the catalog thread; False when the folder cannot be read."""
        folder = Path(folder).expanduser()
        try:
            found = discover(folder, self.prefs.recursive)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = "" if reason.startswith(f"{folder}:") else f"{folder}: "  # the listing's own errors name it
            self.message.emit("error", f"Cannot open {where}{reason}")
            return False
        self.ranking_job.forget()
        self._opening += 1
        opening, recursive = self._opening, self.prefs.recursive

        def listed(opened: catalog_jobs.Opened) -> None:
            if opening == self._opening:
                self._opened(folder, found, start_at, opened)

        def unlisted(exc: Exception) -> None:
            self.report_error(exc)  # shown anyway: photos can be viewed, decisions wait for the catalog
            listed(catalog_jobs.Opened(pending_shoot(folder, found, {})))

        if not found or not self.queue.submit(
            lambda catalog: catalog_jobs.open_shoot(catalog, folder, found, recursive), listed, unlisted
        ):
            listed(catalog_jobs.Opened(pending_shoot(folder, found, {})))
        return True

    def _opened(self, folder: Path, found: list[PhotoFiles], start_at: str | None, opened: catalog_jobs.Opened) -> None:
        self.shoot = shoot = opened.shoot
        self.model_change = None  # a new shoot: nothing changed yet
        self.store.reset(opened.decisions)
        self.compare.reset(opened.choices)
        self.problems = [p for p in self.problems if p.where == "catalog"]
        self.current = start_at if start_at in shoot.by_key else shoot.photos[0].key if shoot.photos else None
        self._touched = start_at in shoot.by_key  # a resumed position is the user's, ranking keeps it
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
        elif opened.from_cache:
            self.compare.next_pair() if not self._touched else self.set_current(self.current)
            self.message.emit(
                "info", "Nothing changed since this shoot was ranked: shown as it was (Ctrl+R ranks it again)."
            )
            self._sync_sidecars()  # shown from the cache, so no scan: read what other tools changed here
        else:
            self.start_ranking()

    @staticmethod
    def _photos_below(folder: Path) -> list[PhotoFiles]:
        try:
            return discover(folder, True)
        except OSError:
            return []

    def open_recursively(self, folder: Path | str) -> bool:
        """The user accepted the offer: include sub-folders from now on (a preference) and reopen."""
        self._update_prefs(dataclasses.replace(self.prefs, recursive=True))
        return self.open(folder)

    # -- ranking -----------------------------------------------------------------------------
    def start_ranking(self) -> None:
        if self.shoot is None or self.catalog is None:
            return
        self._ranking_since = self.store.mark()
        self.ranking_job.start(self.shoot.root, self.catalog, self.prefs)

    def cancel_ranking(self) -> None:
        self.ranking_job.cancel()

    def _ranked(self, ranking: ShootRanking) -> None:
        if self.shoot is None:
            return
        # Ranking never moves the photo the user is on: only a shoot nobody has touched yet starts at
        # the first ranked burst's most useful pair.
        untouched = bool(self.shoot.photos) and not self._touched
        previous = self.shoot
        self.shoot = shoot = ranked_shoot(ranking, self.shoot)
        if previous.model and shoot.model and previous.model.path != shoot.model.path:
            changed, compared = new_leaders(previous, shoot)
            self.model_change = (
                f"With this model {changed} of {compared} burst{'s' * (compared != 1)} "
                f"{'has' if changed == 1 else 'have'} a new #1."
                if compared
                else None
            )
        self.store.adopt(decisions_from(ranking), since=self._ranking_since, quiet=True)  # the whole shoot changes
        self.problems = [p for p in self.problems if p.where == "catalog"]
        self.problems.extend(Problem(str(e.path), e.reason) for e in ranking.errors)
        self._read_back(ranking.stats)
        if untouched or self.current not in shoot.by_key:
            self.current = shoot.photos[0].key if shoot.photos else None
        self.compare.forget_pair()
        self.shootChanged.emit()
        self.problemsChanged.emit()
        if untouched:
            self.compare.next_pair()  # start where culling starts: the first burst's most useful pair
        self.set_current(self.current)
        recursive = self.prefs.recursive  # stat'ing every file of a big shoot: not on this thread
        self.queue.submit(lambda _catalog: shoot_cache.save(shoot, recursive))
        if self._cull_when_ranked:
            self._cull_when_ranked = False
            self.auto_cull()

    def _ranking_failed(self, exc: Exception) -> None:
        if isinstance(exc, CatalogError):
            self.report_catalog_error(exc)
        else:
            self.report_failure(f"Ranking failed: {exc}", exc)

    def _sync_sidecars(self) -> None:
        if self.shoot is None:
            return
        photos = [(p.photo_id, p.paths) for p in self.shoot.photos if p.photo_id is not None and p.photo_id >= 0]
        since = self.store.mark()

        def synced(sync: catalog_jobs.SidecarSync) -> None:
            self.store.adopt(sync.decisions, since)
            self._read_back({"xmp_changes": sync.changes, "xmp_errors": sync.errors})
            self.problemsChanged.emit()

        self.queue.submit(lambda catalog: catalog_jobs.sync_sidecars(catalog, photos), synced)

    def _read_back(self, stats: Mapping[str, Any]) -> None:
        """Say what the scan took from sidecars other tools changed; rewrite those where ours was newer."""
        changes = stats.get("xmp_changes", ())
        for change in changes:
            if change.kept == "catalog":
                self.store.resend_to_sidecars(change.photo_id, change.catalog)
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

    def report_error(self, exc: Exception) -> None:
        """A catalog job failed: known failures (locked, read-only, full) are the user's to act on."""
        if isinstance(exc, CatalogError):
            self.report_catalog_error(exc)
        else:
            self.report_failure(f"Cannot use the catalog: {exc}", exc)

    def report_failure(self, text: str, exc: BaseException) -> None:
        """A bug, not the user's to fix: logged with its traceback, shown with it behind Details."""
        self.failure.emit(text, diagnostics.describe_failure(text, exc))

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
        return self.store.get(photo.photo_id if photo is not None else None)

    def current_photo(self) -> PhotoItem | None:
        return self.shoot.by_key.get(self.current) if self.shoot and self.current else None

    def decide(self, text: str, key: str | None = None, **change: Any) -> bool:
        """Change the current (or given) photo's decision now; the catalog follows on its thread; undoable."""
        wanted = key or self.current
        photo = self.shoot.by_key.get(wanted) if self.shoot and wanted else None
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
        after = self.store.get(photo.photo_id).with_(**change)
        if self.store.decide(text, photo.photo_id, after, self.reveal):
            self._touched = True
            self.ensure_current_visible()  # a pick under "Unflagged" leaves the view: go on to the next
        return True

    def _decisions_changed(self, photo_ids: list[int]) -> None:
        if self.shoot is not None:
            by_id = self.shoot.by_id
            self.decisionsChanged.emit([by_id[pid].key for pid in photo_ids if pid in by_id])

    def reveal(self, photo_id: int) -> None:
        """Make the photo an undo or redo changed the current one, so the user sees what changed."""
        photo = self.shoot.by_id.get(photo_id) if self.shoot else None
        if photo is None:
            return
        if self.visible(photo.key):
            self.set_current(photo.key)
        else:
            self.message.emit("info", f"{photo.name} changed, but the filter or a collapsed stack hides it.")

    def auto_cull(self) -> bool:
        """Pick the best `keep_per_burst` of every burst the user has not decided; one undo step."""
        ranking = self.ranking
        if ranking is None:
            if self.shoot is not None and self.shoot.ranked and not self.ranking_running:
                self._cull_when_ranked = True  # shown from the last visit: the full ranking comes first
                self.start_ranking()
            self.message.emit("info", "Auto cull needs the ranking; it runs once the shoot is ranked.")
            return False
        keep = self.prefs.keep_per_burst

        def culled(result: catalog_jobs.Culled) -> None:
            if result.error is not None:
                self.report_catalog_error(result.error)
            changes = [(pid, result.before[pid], new) for pid, new in result.after.items() if new != result.before[pid]]
            if changes:
                self.store.written_elsewhere(f"auto cull of {len(changes)} photos", changes, self.reveal)
            if result.summary is not None:
                self.message.emit("info", result.summary.describe())

        return self.queue.submit(lambda catalog: catalog_jobs.auto_cull(catalog, ranking, keep), culled)

    # -- navigation --------------------------------------------------------------------------
    def current_burst(self) -> Burst | None:
        return self.shoot.burst_of(self.current) if self.shoot and self.current in self.shoot.by_key else None

    def set_current(self, key: str | None) -> None:
        """Show `key`; in its burst's compare pair it takes the active side (a new burst gets a new pair)."""
        if self.shoot is not None and key is not None and key in self.shoot.by_key:
            self.compare.follow(key)

    def focus(self, key: str | None) -> None:
        """The current photo becomes `key`, the compare pair as it is (the compare controller calls this)."""
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
        cover = self._cover(burst) if burst is not None and self.is_collapsed(burst) else None
        if cover is not None:
            self.set_current(cover)  # collapsing a stack lands on its cover
            return
        if not self.step(1) and not self.step(-1):
            self.message.emit("info", "No photo matches this filter.")

    def step(self, delta: int) -> bool:
        """Move to the next/previous photo the filter shows, in strip order."""
        if self.shoot is None or not self.shoot.photos:
            return False
        default = -1 if delta > 0 else len(self.shoot.photos)
        index = (self.shoot.index.get(self.current, default) if self.current else default) + delta
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
