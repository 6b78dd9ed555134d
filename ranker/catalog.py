"""The SQLite catalog: photos, files, cached features, bursts, scores, decisions and pairwise choices."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ranker.decisions import Decision
from ranker.paths import data_dir

class CatalogError(RuntimeError):
    """A catalog problem the user must see and can act on (locked, read-only, disk full, corrupt)."""


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    fingerprint: str
    paths: tuple[Path, ...]  # primary first (RAW before its JPEG twin)
    capture_ts: float  # seconds since epoch; file mtime when EXIF has no time
    time_source: str  # "exif" | "file"
    metadata: dict
    signals: dict

    @property
    def path(self) -> Path:
        return self.paths[0]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


# Ordered migrations: index i upgrades user_version i → i+1. Never edit a released one; append.
MIGRATIONS: list[str] = [
    """
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
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_catalog_path() -> Path:
    return data_dir() / "catalog.db"


class Catalog:
    """One connection, one lock: every write is serialised and committed when it is made.

    Safe to share between the UI thread and one worker thread; `connect` is injectable for tests.
    """

    def __init__(self, path: Path | str | None = None, connect: Callable[..., sqlite3.Connection] = sqlite3.connect):
        self.path = Path(path) if path is not None else default_catalog_path()
        self.notices: list[str] = []  # things the user should be told (a corrupt catalog set aside, ...)
        self._lock = threading.RLock()
        self._batch_depth = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connect = connect
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise self._translate(exc) from exc
            self._set_aside_corrupt(exc)
            self._db = self._open()

    # -- opening, migrations, errors ------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        db = self._connect(str(self.path), timeout=5.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA busy_timeout = 5000")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed (quick_check failed)")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CatalogError(f"{self.path}: catalog schema {version} is newer than this PhotoTriage "
                                   f"understands ({SCHEMA_VERSION}); upgrade PhotoTriage")
            if version < SCHEMA_VERSION:
                self._migrate(db, version)
            # WAL: readers never block the writer, and a kill mid-write cannot corrupt committed rows.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if version > 0:
            backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
            with sqlite3.connect(str(backup)) as copy:
                db.backup(copy)
            self.notices.append(f"catalog upgraded from schema {version}; backup kept at {backup}")
        for target in range(version, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _set_aside_corrupt(self, exc: Exception) -> None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        shutil.move(str(self.path), aside)
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                shutil.move(str(side), str(aside) + suffix)
        self.notices.append(f"{self.path} was damaged ({exc}); it was moved to {aside} and a new catalog started")

    def _translate(self, exc: sqlite3.Error) -> Exception:
        message = str(exc).lower()
        if "locked" in message or "busy" in message:
            return CatalogError(f"{self.path}: the catalog is locked by another program; close it and retry")
        if "readonly" in message or "read-only" in message:
            return CatalogError(f"{self.path}: the catalog is read-only; decisions cannot be saved "
                                "(check the folder's permissions or set PHOTOTRIAGE_DATA_DIR)")
        if "disk is full" in message or "database or disk is full" in message:
            return CatalogError(f"{self.path}: the disk is full; free some space and retry")
        if "unable to open" in message:
            return CatalogError(f"{self.path}: cannot open the catalog ({exc})")
        return exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; sqlite errors the user can act on become CatalogError.

        Inside `batch()` the writes join the batch's transaction instead of committing one by one.
        """
        with self._lock:
            if self._batch_depth:
                yield self._db
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) from exc

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many writes (a scan window) into one transaction: one commit instead of hundreds.
        Only for bulk analysis results; user decisions are always committed on their own."""
        with self._write():
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- photos and files -------------------------------------------------------------------
    def known_file(self, path: Path) -> tuple[int, int, int] | None:
        """(photo_id, size, mtime_ns) recorded for this path, for the incremental-scan check."""
        rows = self._read("SELECT photo_id, size, mtime_ns FROM files WHERE path = ?", (str(path),))
        return tuple(rows[0]) if rows else None

    def photo_id_for_fingerprint(self, fingerprint: str) -> int | None:
        rows = self._read("SELECT id FROM photos WHERE fingerprint = ?", (fingerprint,))
        return rows[0][0] if rows else None

    def upsert_photo(self, fingerprint: str, capture_ts: float, time_source: str, metadata: dict,
                     signals: dict, files: list[tuple[Path, int, int]]) -> int:
        """Record a photo and its files (primary first). A known fingerprint keeps its id, so a
        renamed or moved file keeps its features, scores and decisions."""
        with self._write() as db:
            row = db.execute("SELECT id FROM photos WHERE fingerprint = ?", (fingerprint,)).fetchone()
            if row:
                photo_id = row[0]
                db.execute("UPDATE photos SET capture_ts=?, time_source=?, metadata=?, signals=? WHERE id=?",
                           (capture_ts, time_source, json.dumps(metadata), json.dumps(signals), photo_id))
            else:
                photo_id = db.execute(
                    "INSERT INTO photos (fingerprint, capture_ts, time_source, metadata, signals) VALUES (?,?,?,?,?)",
                    (fingerprint, capture_ts, time_source, json.dumps(metadata), json.dumps(signals)),
                ).lastrowid
            # Drop paths of this photo that no longer exist (it was renamed or moved); keep those that
            # do: byte-identical copies in a shoot are one photo with several files, not a rename.
            for (old,) in db.execute("SELECT path FROM files WHERE photo_id = ?", (photo_id,)).fetchall():
                if not os.path.lexists(old):
                    db.execute("DELETE FROM files WHERE path = ?", (old,))
            for index, (path, size, mtime_ns) in enumerate(files):
                db.execute("DELETE FROM files WHERE path = ?", (str(path),))
                db.execute("INSERT INTO files (path, photo_id, size, mtime_ns, is_primary) VALUES (?,?,?,?,?)",
                           (str(path), photo_id, size, mtime_ns, int(index == 0)))
            return photo_id

    def forget_files(self, paths: Iterable[Path]) -> None:
        """Drop file rows for paths that vanished; photos and their decisions stay (they may reappear moved)."""
        with self._write() as db:
            db.executemany("DELETE FROM files WHERE path = ?", [(str(p),) for p in paths])

    def files_under(self, root: Path) -> list[str]:
        prefix = str(root).rstrip("/") + "/"
        return [r[0] for r in self._read("SELECT path FROM files WHERE substr(path, 1, ?) = ?",
                                         (len(prefix), prefix))]

    def photo(self, photo_id: int) -> PhotoRecord:
        rows = self._read("SELECT id, fingerprint, capture_ts, time_source, metadata, signals FROM photos WHERE id=?",
                          (photo_id,))
        if not rows:
            raise KeyError(f"no photo {photo_id} in the catalog")
        return self._record(rows[0])

    def photos(self, photo_ids: Iterable[int]) -> list[PhotoRecord]:
        return [self.photo(pid) for pid in photo_ids]

    def _record(self, row) -> PhotoRecord:
        paths = tuple(Path(r[0]) for r in self._read(
            "SELECT path FROM files WHERE photo_id = ? ORDER BY is_primary DESC, path", (row[0],)))
        return PhotoRecord(row[0], row[1], paths, row[2], row[3], json.loads(row[4]), json.loads(row[5]))

    def photo_for_path(self, path: Path) -> int | None:
        known = self.known_file(Path(path))
        return known[0] if known else None

    # -- features -----------------------------------------------------------------------
    def get_features(self, fingerprint: str, extractor: str, version: str) -> np.ndarray | None:
        rows = self._read("SELECT vector FROM features WHERE fingerprint=? AND extractor=? AND version=?",
                          (fingerprint, extractor, version))
        return np.frombuffer(rows[0][0], dtype=np.float32).copy() if rows else None

    def put_features(self, items: Iterable[tuple[str, str, str, np.ndarray]]) -> None:
        """Store (fingerprint, extractor, version, vector) rows in one transaction."""
        rows = [(fp, ex, ver, np.asarray(vec, dtype=np.float32).tobytes()) for fp, ex, ver, vec in items]
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO features VALUES (?,?,?,?)", rows)

    # -- bursts and scores ----------------------------------------------------------------
    def replace_bursts(self, shoot: str, bursts: list[tuple[str, list[int]]]) -> None:
        """Store a shoot's grouping: [(kind, [photo ids in capture order])], numbered from 1."""
        with self._write() as db:
            db.execute("DELETE FROM burst_members WHERE shoot = ?", (shoot,))
            db.execute("DELETE FROM bursts WHERE shoot = ?", (shoot,))
            for number, (kind, members) in enumerate(bursts, start=1):
                db.execute("INSERT INTO bursts VALUES (?,?,?)", (shoot, number, kind))
                db.executemany("INSERT INTO burst_members VALUES (?,?,?,?)",
                               [(shoot, number, pid, pos) for pos, pid in enumerate(members)])

    def shoots(self) -> list[str]:
        """Every shoot (folder key) with a stored burst grouping."""
        return [row[0] for row in self._read("SELECT DISTINCT shoot FROM bursts ORDER BY shoot")]

    def bursts(self, shoot: str) -> list[tuple[int, str, list[int]]]:
        kinds = self._read("SELECT number, kind FROM bursts WHERE shoot = ? ORDER BY number", (shoot,))
        members = self._read("SELECT burst, photo_id FROM burst_members WHERE shoot = ? ORDER BY burst, position",
                             (shoot,))
        grouped: dict[int, list[int]] = {n: [] for n, _ in kinds}
        for burst, pid in members:
            grouped[burst].append(pid)
        return [(n, kind, grouped[n]) for n, kind in kinds]

    def burst_mates(self, photo_ids: Iterable[int]) -> list[list[int]]:
        """The stored burst of each given photo (its first shoot's, when several shoots hold it), each
        burst once; photos in no stored burst are left out."""
        ids = list(photo_ids)
        chosen: dict[int, tuple[str, int]] = {}
        for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
            chunk = ids[start:start + 500]
            rows = self._read(f"SELECT photo_id, shoot, burst FROM burst_members WHERE photo_id IN "
                              f"({','.join('?' * len(chunk))}) ORDER BY shoot", chunk)
            for photo_id, shoot, burst in rows:
                chosen.setdefault(photo_id, (shoot, burst))
        return [[row[0] for row in self._read("SELECT photo_id FROM burst_members WHERE shoot = ? AND burst = ? "
                                              "ORDER BY position", key)]
                for key in dict.fromkeys(chosen.values())]

    def put_scores(self, model: str, scores: dict[int, float]) -> None:
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?)",
                           [(pid, model, float(s)) for pid, s in scores.items()])

    def scores(self, model: str, photo_ids: Iterable[int]) -> dict[int, float]:
        ids = list(photo_ids)
        result: dict[int, float] = {}
        for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            result.update(self._read(f"SELECT photo_id, score FROM scores WHERE model = ? AND photo_id IN ({marks})",
                                     [model, *chunk]))
        return result

    # -- decisions and choices -----------------------------------------------------------
    def decision(self, photo_id: int) -> Decision:
        rows = self._read("SELECT flag, rating, label FROM decisions WHERE photo_id = ?", (photo_id,))
        return Decision(*rows[0]) if rows else Decision()

    def decisions(self, photo_ids: Iterable[int]) -> dict[int, Decision]:
        return {pid: self.decision(pid) for pid in photo_ids}

    def has_decision(self, photo_id: int) -> bool:
        return bool(self._read("SELECT 1 FROM decisions WHERE photo_id = ?", (photo_id,)))

    def set_decision(self, photo_id: int, decision: Decision, source: str = "user") -> None:
        """Committed before returning: a decision shown to the user survives a kill."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO decisions VALUES (?,?,?,?,?,?)",
                       (photo_id, decision.flag, int(decision.rating), decision.label, source, _now()))

    def add_choice(self, winner_id: int, loser_id: int, source: str = "compare") -> int:
        if winner_id == loser_id:
            raise ValueError("a photo cannot be chosen over itself")
        with self._write() as db:
            return db.execute("INSERT INTO choices (winner_id, loser_id, source, created) VALUES (?,?,?,?)",
                              (winner_id, loser_id, source, _now())).lastrowid

    def remove_choice(self, choice_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM choices WHERE id = ?", (choice_id,))

    def choices(self) -> list[tuple[int, int, int, str, str]]:
        """(id, winner_id, loser_id, source, created) in the order they were made."""
        return [tuple(r) for r in self._read("SELECT id, winner_id, loser_id, source, created FROM choices ORDER BY id")]


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    message = str(exc).lower()
    return "not a database" in message or "malformed" in message or "corrupt" in message
