"""Decisions other tools wrote in a photo's XMP sidecars, imported once, the first time it is seen."""

from __future__ import annotations

from ranker.decisions import Decision
from ranker.io.load_errors import printable_path
from ranker.io.scan import PhotoFiles
from ranker.store.catalog import Catalog
from ranker.store.listing import ListedPhoto


def _sidecar_decision(photo: PhotoFiles) -> tuple[Decision | None, list[str]]:
    """The decision other tools recorded for the photo, and why any sidecar of it could not be read."""
    from ranker.xmp import XmpError, read_decision

    problems = []
    for path in photo.paths:
        if not path.is_file():  # a FIFO twin would block the plain open() of the XMP reader
            continue
        try:
            decision = read_decision(path)
        except (XmpError, OSError) as exc:
            problems.append(
                f"{printable_path(path)}: its XMP sidecar could not be read ({exc}); ratings in it were not imported"
            )
            continue
        if decision is not None and not decision.is_empty:
            return decision, problems
    return None, problems


def import_sidecars(catalog: Catalog, listed: ListedPhoto) -> list[str]:
    """Ratings, labels and rejects other tools wrote, taken once per photo, unless the user decided first.
    Marked done only after the decision is committed, so a kill in between retries on the next run."""
    problems: list[str] = []
    if not catalog.has_decision(listed.photo_id):
        decision, problems = _sidecar_decision(listed.files)
        if decision is not None:
            catalog.set_decision(listed.photo_id, decision, source="xmp")
    catalog.mark_sidecars_read(listed.photo_id)
    return problems
