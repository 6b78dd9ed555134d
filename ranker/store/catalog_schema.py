"""The catalog's schema as ordered migrations, and how file paths are stored in it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ranker.io.images import is_raw


def db_path(path: os.PathLike[str] | str) -> str | bytes:
    """A path as the catalog stores it: text when it is valid UTF-8, else its raw bytes (a BLOB).

    A name that is not UTF-8 (a card written by another OS) reaches Python as a str with surrogates,
    which SQLite cannot store as text; its bytes round-trip exactly and still open the same file.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text)


def from_db(value: str | bytes) -> Path:
    return Path(os.fsdecode(value))


_V1 = """
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        capture_ts REAL NOT NULL,
        time_source TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        signals TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX files_photo ON files(photo_id);
    CREATE TABLE features (
        fingerprint TEXT NOT NULL,
        extractor TEXT NOT NULL,
        version TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (fingerprint, extractor, version)
    );
    CREATE TABLE bursts (
        shoot TEXT NOT NULL,
        number INTEGER NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (shoot, number)
    );
    CREATE TABLE burst_members (
        shoot TEXT NOT NULL,
        burst INTEGER NOT NULL,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (shoot, photo_id)
    );
    CREATE TABLE scores (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (photo_id, model)
    );
    CREATE TABLE decisions (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        flag TEXT,
        rating INTEGER NOT NULL DEFAULT 0,
        label TEXT,
        source TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE choices (
        id INTEGER PRIMARY KEY,
        winner_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        loser_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        created TEXT NOT NULL
    );
"""


def _split(db: sqlite3.Connection, photo_id: int) -> None:
    """Give each folder's file group of a v1 photo its own photo (v1 merged byte-identical copies
    wherever they lay); the first group keeps the id and its choices, every group keeps the decision."""
    rows = db.execute(
        "SELECT path, is_primary FROM files WHERE photo_id = ? ORDER BY is_primary DESC, path", (photo_id,)
    ).fetchall()
    groups: dict[tuple[Path, str], list[str | bytes]] = {}
    for value, _ in rows:
        path = from_db(value)
        groups.setdefault((path.parent, path.stem.lower()), []).append(value)
    for number, values in enumerate(groups.values()):
        values.sort(key=lambda v: (not is_raw(from_db(v)), from_db(v)))  # RAW first, as scan lists twins
        target: int | None = photo_id  # sqlite3 types lastrowid Optional; after an INSERT it is the new id
        if number:
            target = db.execute(
                "INSERT INTO photos (fingerprint, capture_ts, time_source, metadata, signals, sidecars_read) "
                "SELECT fingerprint, capture_ts, time_source, metadata, signals, 1 FROM photos WHERE id = ?",
                (photo_id,),
            ).lastrowid
            db.execute(
                "INSERT INTO decisions SELECT ?, flag, rating, label, source, updated FROM decisions "
                "WHERE photo_id = ?",
                (target, photo_id),
            )
            db.execute("INSERT INTO scores SELECT ?, model, score FROM scores WHERE photo_id = ?", (target, photo_id))
        for index, value in enumerate(values):
            db.execute("UPDATE files SET photo_id = ?, is_primary = ? WHERE path = ?", (target, int(index == 0), value))
        size, mtime = db.execute("SELECT size, mtime_ns FROM files WHERE path = ?", (values[0],)).fetchone()
        db.execute(
            "UPDATE photos SET last_path = ?, last_size = ?, last_mtime_ns = ? WHERE id = ?",
            (values[0], size, mtime, target),
        )


def _v2_photo_is_a_file_in_its_folder(db: sqlite3.Connection) -> None:
    """v1 keyed photos by content, so copies in two folders shared paths and decisions. From v2 a
    photo is a file group in one folder; the content fingerprint only keys the feature cache."""
    db.execute("""
        CREATE TABLE photos_v2 (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT,                  -- NULL until the content was analysed
            capture_ts REAL NOT NULL,
            time_source TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            signals TEXT NOT NULL DEFAULT '{}',
            last_path TEXT,                    -- the primary file last seen: finds renames in its folder
            last_size INTEGER,
            last_mtime_ns INTEGER,
            sidecars_read INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute(
        "INSERT INTO photos_v2 (id, fingerprint, capture_ts, time_source, metadata, signals, sidecars_read) "
        "SELECT id, fingerprint, capture_ts, time_source, metadata, signals, 1 FROM photos"
    )
    db.execute("DROP TABLE photos")  # foreign keys are off while migrating: nothing cascades
    db.execute("ALTER TABLE photos_v2 RENAME TO photos")
    db.execute("CREATE INDEX photos_fingerprint ON photos(fingerprint)")
    for (photo_id,) in db.execute("SELECT DISTINCT photo_id FROM files").fetchall():
        _split(db, photo_id)
    # Stored groupings name merged photos; every shoot regroups on its next run.
    db.execute("DELETE FROM burst_members")
    db.execute("DELETE FROM bursts")


Migration = str | Callable[[sqlite3.Connection], None]

# Ordered migrations: index i upgrades user_version i → i+1. Never edit a released one; append.
# XMP read-back: what each sidecar (or photo, for embedded XMP) held when we last read or wrote it.
_V3_XMP_STATE = """
    CREATE TABLE xmp_state (
        path TEXT PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        seen TEXT NOT NULL
    );
    CREATE INDEX xmp_state_photo ON xmp_state(photo_id);
"""

# Label names other tools wrote that are not one of our five colours ("Approved", "Rot"), and
# darktable's further colour labels (comma-separated names): kept so export writes them back.
_V4_LABEL_NAMES = """
    ALTER TABLE decisions ADD COLUMN label_name TEXT;
    ALTER TABLE decisions ADD COLUMN more_labels TEXT NOT NULL DEFAULT ''
"""

MIGRATIONS: list[Migration] = [
    _V1,
    _v2_photo_is_a_file_in_its_folder,
    _V3_XMP_STATE,
    _V4_LABEL_NAMES,
]


def apply(db: sqlite3.Connection, migration: Migration) -> None:
    if callable(migration):
        migration(db)
        return
    for statement in migration.split(";"):
        if statement.strip():
            db.execute(statement)
