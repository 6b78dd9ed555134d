"""The catalog's photos and their files: identity from listing, renames and moves, the analysis of each photo."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from ranker.store.catalog_db import CatalogDb
from ranker.store.catalog_rows import PhotoRecord
from ranker.store.catalog_schema import db_path, from_db

# A photo is a group of files (a RAW and its JPEG twin) in one folder, identified by its paths from
# the moment the folder is listed. Content fingerprints only key the analysis cache, so copies in two
# folders are two photos that share features but never paths or decisions.


def identify(
    db: CatalogDb, groups: Iterable[Sequence[tuple[Path, int, int]]], in_scope: Callable[[Path], bool]
) -> list[int]:
    """One photo id per listed group of (path, size, mtime_ns), primary first, in one transaction.

    A known path keeps its photo. A new path whose size and mtime match a photo that vanished from
    this folder (`in_scope` of its last path) is that photo renamed or moved: it keeps its id and
    decisions without a byte being read. Anything else is a new photo, not analysed yet, that can
    already hold a decision."""
    ids: list[int] = []
    with db.write() as conn:
        for files in groups:
            keys = [db_path(path) for path, _, _ in files]
            known = [conn.execute("SELECT photo_id FROM files WHERE path = ?", (key,)).fetchone() for key in keys]
            known_ids = [row[0] for row in known if row]
            _, size, mtime_ns = files[0]
            photo_id = known_ids[0] if known_ids else _renamed(conn, files[0], in_scope)
            if photo_id is None:
                # sqlite3 types lastrowid Optional; after an INSERT it is the new row's id
                photo_id = cast(
                    int,
                    conn.execute(
                        "INSERT INTO photos (capture_ts, time_source, last_path, last_size, last_mtime_ns) "
                        "VALUES (?, 'file', ?, ?, ?)",
                        (mtime_ns / 1e9, keys[0], size, mtime_ns),
                    ).lastrowid,
                )
            # A file new to this photo (a twin that appeared) is marked unanalysed (-1).
            adopted = not known_ids
            for index, ((_path, size, mtime_ns), key, row) in enumerate(zip(files, keys, known)):
                if row is None:
                    stat = (size, mtime_ns) if adopted and index == 0 else (-1, -1)
                    conn.execute(
                        "INSERT INTO files (path, photo_id, size, mtime_ns, is_primary) VALUES (?,?,?,?,?)",
                        (key, photo_id, *stat, int(index == 0)),
                    )
                else:
                    conn.execute(
                        "UPDATE files SET photo_id = ?, is_primary = ? WHERE path = ?",
                        (photo_id, int(index == 0), key),
                    )
            ids.append(photo_id)
    return ids


def _renamed(conn: sqlite3.Connection, primary: tuple[Path, int, int], in_scope: Callable[[Path], bool]) -> int | None:
    _, size, mtime_ns = primary
    photo_id: int  # photos.id is INTEGER PRIMARY KEY
    for photo_id, last in conn.execute(
        "SELECT id, last_path FROM photos WHERE last_size = ? AND last_mtime_ns = ? AND last_path IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM files WHERE files.photo_id = photos.id) ORDER BY id",
        (size, mtime_ns),
    ).fetchall():
        if in_scope(from_db(last)):
            return photo_id
    return None


def adopt(db: CatalogDb, photo_id: int, fingerprint: str, in_scope: Callable[[Path], bool]) -> bool:
    """A never-analysed photo whose content is that of a photo which vanished from this folder
    (moved in a way that changed its mtime): that photo's decision, scores and choices move to
    `photo_id` (a decision the user already made on `photo_id` wins) and the old one is dropped.

    Failing that, a photo from before migration 2 whose files were already gone then (it has no
    last path, so no folder to be in scope of) is matched by content alone, wherever its file
    turns up: schema 1 keyed every photo by content, so that is the identity it had."""
    with db.write() as conn:
        if conn.execute("SELECT fingerprint FROM photos WHERE id = ?", (photo_id,)).fetchone() != (None,):
            return False
        rows = conn.execute(
            "SELECT id, last_path FROM photos WHERE fingerprint = ? AND id != ? "
            "AND NOT EXISTS (SELECT 1 FROM files WHERE files.photo_id = photos.id) ORDER BY id",
            (fingerprint, photo_id),
        ).fetchall()
        old = next((pid for pid, last in rows if last is not None and in_scope(from_db(last))), None)
        if old is None:
            old = next((pid for pid, last in rows if last is None), None)
        if old is None:
            return False
        if not conn.execute("SELECT 1 FROM decisions WHERE photo_id = ?", (photo_id,)).fetchone():
            conn.execute("UPDATE decisions SET photo_id = ? WHERE photo_id = ?", (photo_id, old))
        conn.execute(
            "INSERT OR IGNORE INTO scores SELECT ?, model, score FROM scores WHERE photo_id = ?", (photo_id, old)
        )
        conn.execute("UPDATE choices SET winner_id = ? WHERE winner_id = ?", (photo_id, old))
        conn.execute("UPDATE choices SET loser_id = ? WHERE loser_id = ?", (photo_id, old))
        conn.execute(
            "UPDATE photos SET sidecars_read = MAX(sidecars_read, (SELECT sidecars_read FROM photos "
            "WHERE id = ?)) WHERE id = ?",
            (old, photo_id),
        )
        conn.execute("DELETE FROM choices WHERE winner_id = loser_id")
        conn.execute("DELETE FROM photos WHERE id = ?", (old,))
        return True


def record_analysis(
    db: CatalogDb,
    photo_id: int,
    fingerprint: str,
    capture_ts: float,
    time_source: str,
    metadata: dict[str, Any],
    signals: dict[str, float],
    files: Sequence[tuple[Path, int, int]],
) -> None:
    """Store what analysing the photo's content found, and the file states it was found in."""
    with db.write() as conn:
        conn.execute(
            "UPDATE photos SET fingerprint=?, capture_ts=?, time_source=?, metadata=?, signals=?, "
            "last_path=?, last_size=?, last_mtime_ns=? WHERE id=?",
            (
                fingerprint,
                capture_ts,
                time_source,
                json.dumps(metadata),
                json.dumps(signals),
                db_path(files[0][0]),
                files[0][1],
                files[0][2],
                photo_id,
            ),
        )
        conn.executemany(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ? AND photo_id = ?",
            [(size, mtime_ns, db_path(path), photo_id) for path, size, mtime_ns in files],
        )


def mark_sidecars_read(db: CatalogDb, photo_id: int) -> None:
    with db.write() as conn:
        conn.execute("UPDATE photos SET sidecars_read = 1 WHERE id = ?", (photo_id,))


def upsert_photo(
    db: CatalogDb,
    fingerprint: str,
    capture_ts: float,
    time_source: str,
    metadata: dict[str, Any],
    signals: dict[str, float],
    files: list[tuple[Path, int, int]],
) -> int:
    """Record an analysed photo and its files (primary first), for tools and tests: a known path
    keeps its photo; same content whose files all vanished from the same folder is that photo
    renamed; anything else is a new photo."""
    folder = Path(files[0][0]).parent
    with db.batch():
        for pid, _last in db.read("SELECT id, last_path FROM photos WHERE fingerprint = ?", (fingerprint,)):
            gone = [p for p in paths(db, pid) if not os.path.lexists(p)]
            if gone and gone == list(paths(db, pid)) and all(p.parent == folder for p in gone):
                forget_files(db, gone)
        photo_id = identify(db, [files], lambda last: last.parent == folder)[0]
        adopt(db, photo_id, fingerprint, lambda last: last.parent == folder)
        record_analysis(db, photo_id, fingerprint, capture_ts, time_source, metadata, signals, files)
    return photo_id


def forget_files(db: CatalogDb, gone: Iterable[Path]) -> None:
    """Drop file rows for paths that vanished; photos and their decisions stay (they may reappear moved)."""
    with db.write() as conn:
        conn.executemany("DELETE FROM files WHERE path = ?", [(db_path(p),) for p in gone])


def files_under(db: CatalogDb, root: Path) -> list[Path]:
    prefix = str(root).rstrip("/") + "/"
    key = db_path(prefix)
    rows = db.read("SELECT path FROM files WHERE substr(path, 1, ?) = ?", (len(key), key))
    # Names stored as bytes (not UTF-8) compare unequal to any text prefix: filter them here.
    raw = db.read("SELECT path FROM files WHERE typeof(path) = 'blob'")
    found = [from_db(r[0]) for r in rows] + [p for p in (from_db(r[0]) for r in raw) if str(p).startswith(prefix)]
    return list(dict.fromkeys(found))


def file_states(db: CatalogDb, photo_id: int) -> dict[Path, tuple[int, int]]:
    """{path: (size, mtime_ns)} as recorded when the photo was last analysed (-1 when never)."""
    return {
        from_db(r[0]): (r[1], r[2])
        for r in db.read("SELECT path, size, mtime_ns FROM files WHERE photo_id = ?", (photo_id,))
    }


_RECORD = "SELECT id, fingerprint, capture_ts, time_source, metadata, signals, sidecars_read FROM photos"


def analysed_like(db: CatalogDb, fingerprint: str) -> PhotoRecord | None:
    """An intact analysis of this content (any folder's photo): metadata and signals are a cache."""
    for row in db.read(f"{_RECORD} WHERE fingerprint = ? ORDER BY id", (fingerprint,)):
        record = _record(db, row)
        if not record.damaged:
            return record
    return None


def photo(db: CatalogDb, photo_id: int) -> PhotoRecord:
    rows = db.read(f"{_RECORD} WHERE id=?", (photo_id,))
    if not rows:
        raise KeyError(f"no photo {photo_id} in the catalog")
    return _record(db, rows[0])


def paths(db: CatalogDb, photo_id: int) -> tuple[Path, ...]:
    """The photo's files, primary first."""
    return tuple(
        from_db(r[0])
        for r in db.read("SELECT path FROM files WHERE photo_id = ? ORDER BY is_primary DESC, path", (photo_id,))
    )


def _record(db: CatalogDb, row: tuple[Any, ...]) -> PhotoRecord:
    """A photo row, validated: a damaged analysis (a flipped byte, a wrong type) reads as
    damaged and empty, so the scan recomputes it instead of every run dying on it."""
    photo_id, fingerprint, capture_ts, time_source = row[0], row[1], row[2], row[3]
    metadata, signals = _json_dict(row[4]), _json_dict(row[5])
    damaged = (
        metadata is None
        or signals is None
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in signals.values())
        or not isinstance(capture_ts, (int, float))
        or time_source not in ("exif", "file")
        or not (fingerprint is None or isinstance(fingerprint, str))
    )
    if damaged or metadata is None or signals is None:
        return PhotoRecord(photo_id, None, paths(db, photo_id), 0.0, "file", {}, {}, True, bool(row[6]))
    return PhotoRecord(
        photo_id,
        fingerprint,
        paths(db, photo_id),
        float(capture_ts),
        time_source,
        metadata,
        signals,
        False,
        bool(row[6]),
    )


def photo_for_path(db: CatalogDb, path: Path) -> int | None:
    known = known_file(db, path)
    return known[0] if known else None


def known_file(db: CatalogDb, path: Path) -> tuple[int, int, int] | None:
    """(photo_id, size, mtime_ns) recorded for this path."""
    rows = db.read("SELECT photo_id, size, mtime_ns FROM files WHERE path = ?", (db_path(Path(path)),))
    return tuple(rows[0]) if rows else None


def _json_dict(text: str | bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
