"""The catalog work of the GUI as plain functions (no Qt): each runs on the catalog thread, returns a dataclass."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from phototriage_gui import shoot_cache
from phototriage_gui.models.shoot import Shoot, pending_shoot
from ranker.decisions import Decision
from ranker.io.scan import PhotoFiles
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError
from ranker.store.listing import list_shoot

if TYPE_CHECKING:
    from ranker.culling.auto import CullSummary
    from ranker.culling.shoot_ranking import ShootRanking
    from ranker.store.readback import ReadBack


@dataclass(frozen=True)
class Opened:
    """A folder as the catalog knows it: the shoot to show, its decisions and every choice made so far."""

    shoot: Shoot
    decisions: dict[int, Decision] = field(default_factory=dict)
    choices: list[tuple[int, int]] = field(default_factory=list)  # (winner, loser)
    from_cache: bool = False  # the remembered ranked shoot: nothing changed since it was ranked


def open_shoot(catalog: Catalog, folder: Path, found: Sequence[PhotoFiles], recursive: bool) -> Opened:
    """List `folder`: every photo gets its catalog identity at once (no decoding, no hashing, one
    transaction), so P/X/0-5 work from the first frame shown, long before features exist."""
    listing = list_shoot(folder, catalog, recursive)
    found = [listed.files for listed in listing.photos]
    known = {os.fsdecode(listed.path): listed.photo_id for listed in listing.photos if listed.photo_id >= 0}
    shoot = pending_shoot(folder, found, known)
    remembered = shoot_cache.load(folder, recursive, set(shoot.by_key)) if found else None
    from_cache = remembered is not None and all(known.get(p.key) == p.photo_id for p in remembered.photos)
    if remembered is not None and from_cache:
        shoot = remembered  # nothing changed since it was ranked: no need to rank it again
    choices = [(winner, loser) for _, winner, loser, _, _ in catalog.choices()]
    return Opened(shoot, catalog.decisions(known.values()), choices, from_cache)


@dataclass(frozen=True)
class SidecarSync:
    """What other tools changed in the sidecars of a shoot shown from the cache."""

    changes: list[ReadBack]
    errors: list[tuple[Path, str]]
    decisions: dict[int, Decision]  # the catalog's decisions of the photos taken from disk


def sync_sidecars(catalog: Catalog, photos: list[tuple[int, tuple[Path, ...]]]) -> SidecarSync:
    from ranker.store.readback import sync_photos

    changes, errors = sync_photos(catalog, photos)
    return SidecarSync(changes, errors, catalog.decisions([c.photo_id for c in changes if c.kept == "disk"]))


@dataclass(frozen=True)
class Culled:
    before: dict[int, Decision]
    after: dict[int, Decision]
    summary: CullSummary | None
    error: CatalogError | None  # some photos may be marked already: they stay undoable


def auto_cull(catalog: Catalog, ranking: ShootRanking, keep: int) -> Culled:
    """ranker.culling.auto.auto_cull, which respects the catalog's decisions as they are now (every earlier write
    has landed: this thread runs them in order), with the decisions before and after for one undo step."""
    from ranker.culling.auto import auto_cull as cull

    ids = [p.photo_id for b in ranking.bursts for p in b.photos]
    before = catalog.decisions(ids)
    summary, error = None, None
    try:
        summary = cull(catalog, ranking, keep=keep)
    except CatalogError as exc:
        error = exc
    return Culled(before, catalog.decisions(ids), summary, error)
