"""An export from a ranking already on screen: re-read changed sidecars, select, plan and run, as one generator."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from ranker.culling.shoot_ranking import ShootRanking
from ranker.export import ExportReport, plan_export, run_export
from ranker.export.selection import select
from ranker.progress import Progress, Stage, check_cancel
from ranker.store.catalog import Catalog
from ranker.store.readback import ReadBack, sync_photos
from ranker.xmp.style import XmpStyle


@dataclass(frozen=True)
class ExportRequest:
    dest: Path
    mode: str = "copy"
    picks: bool = False
    min_rating: int | None = None
    top: int | None = None
    xmp_style: XmpStyle = XmpStyle()
    write_sidecars: bool = True
    embed_xmp: bool = True


@dataclass
class ExportOutcome:
    report: ExportReport | None  # None when nothing matched the selection
    read_back: list[ReadBack] = field(default_factory=list)  # decisions taken from disk just before
    selected: int = 0


def export_job(
    catalog: Catalog, ranking: ShootRanking, request: ExportRequest, cancel: threading.Event | None = None
) -> Generator[Progress, None, ExportOutcome]:
    """Never writes a decision older than what is on disk: every photo's sidecar is checked again
    (another tool may have changed it since the scan) before the selection is made."""
    ids = [(p.photo_id, p.paths) for b in ranking.bursts for p in b.photos]
    yield Progress(Stage.EXPORT, 0, 0, "checking sidecars for changes made in other tools")
    changes, _errors = sync_photos(catalog, ids)
    check_cancel(cancel)
    current = catalog.decisions([pid for pid, _ in ids])
    bursts = tuple(
        dataclasses.replace(b, photos=tuple(dataclasses.replace(p, decision=current[p.photo_id]) for p in b.photos))
        for b in ranking.bursts
    )
    items = select(
        dataclasses.replace(ranking, bursts=bursts), picks=request.picks, min_rating=request.min_rating, top=request.top
    )
    if not items:
        return ExportOutcome(None, changes, 0)
    plan = plan_export(
        items,
        request.dest,
        mode=request.mode,
        write_sidecars=request.write_sidecars,
        xmp_style=request.xmp_style,
        embed_xmp=request.embed_xmp,
    )
    report = yield from run_export(plan, cancel=cancel)
    return ExportOutcome(report, changes, len(items))
