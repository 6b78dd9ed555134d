"""The catalog's record of each sidecar (or embedded XMP) as last read, so read-back sees outside edits."""

from __future__ import annotations

from pathlib import Path

from ranker.store.catalog_db import CatalogDb, now
from ranker.store.catalog_rows import XmpState
from ranker.store.catalog_schema import db_path


def xmp_state(db: CatalogDb, path: Path) -> XmpState | None:
    """What was recorded when a sidecar or a photo's embedded XMP was last read."""
    rows = db.read("SELECT photo_id, size, mtime_ns, sha256, seen FROM xmp_state WHERE path = ?", (db_path(path),))
    return XmpState(*rows[0]) if rows else None


def set_xmp_state(db: CatalogDb, path: Path, photo_id: int, size: int, mtime_ns: int, sha256: str) -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO xmp_state VALUES (?,?,?,?,?,?)",
            (db_path(path), photo_id, int(size), int(mtime_ns), sha256, now()),
        )
