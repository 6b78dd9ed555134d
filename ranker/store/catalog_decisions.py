"""The catalog's decisions: each photo's flag, rating and label, who set it and when."""

from __future__ import annotations

from typing import Any

from ranker.decisions import FLAGS, LABELS, Decision, Label
from ranker.io.load_errors import printable_path
from ranker.store.catalog_db import CatalogDb, now
from ranker.store.catalog_photos import paths
from ranker.store.catalog_rows import DecisionTime


def decision(db: CatalogDb, photo_id: int) -> Decision:
    """The stored decision. A damaged row is reported (a notice naming the photo) and read field
    by field, keeping what is still valid; it is never fatal and never rewritten here."""
    rows = db.read("SELECT flag, rating, label, label_name, more_labels FROM decisions WHERE photo_id = ?", (photo_id,))
    if not rows:
        return Decision()
    flag, rating, label, name, more = rows[0]  # the row's text, unchecked: Decision checks and converts it
    more_labels: tuple[Any, ...] = tuple(more.split(",")) if isinstance(more, str) and more else ()
    try:
        return Decision(flag, rating, label, name, more_labels)
    except (ValueError, TypeError) as exc:
        colour = Label(label.lower()) if isinstance(label, str) and label.lower() in LABELS else None
        try:
            extras = Decision(None, 0, colour, name, more_labels)
        except (ValueError, TypeError):
            extras = Decision(None, 0, colour)
        kept = Decision(
            flag if flag in FLAGS else None,
            rating if isinstance(rating, int) and 0 <= rating <= 5 else 0,
            colour,
            extras.label_name,
            extras.more_labels,
        )
        where = ", ".join(printable_path(p) for p in paths(db, photo_id)) or f"photo {photo_id}"
        notice = f"{where}: the catalog's decision row is damaged ({exc}); kept what is valid: {kept}"
        if notice not in db.notices:
            db.notices.append(notice)
        return kept


def has_decision(db: CatalogDb, photo_id: int) -> bool:
    return bool(db.read("SELECT 1 FROM decisions WHERE photo_id = ?", (photo_id,)))


def set_decision(db: CatalogDb, photo_id: int, verdict: Decision, source: str = "user") -> None:
    """Committed before returning: a decision shown to the user survives a kill."""
    with db.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO decisions (photo_id, flag, rating, label, source, updated, label_name, "
            "more_labels) VALUES (?,?,?,?,?,?,?,?)",
            (
                photo_id,
                verdict.flag,
                int(verdict.rating),
                verdict.label,
                source,
                now(),
                verdict.label_name,
                ",".join(verdict.more_labels),
            ),
        )


def decision_updated(db: CatalogDb, photo_id: int) -> DecisionTime | None:
    """Who made the photo's decision and when, or None when it has none."""
    rows = db.read("SELECT source, updated FROM decisions WHERE photo_id = ?", (photo_id,))
    return DecisionTime(*rows[0]) if rows else None
