"""The catalog's SQLite connection: opened (migrated, a corrupt file set aside), locked, one transaction per write."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ranker.store.catalog_rows import CatalogError
from ranker.store.catalog_schema import MIGRATIONS, apply

SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    """The time a row records (a decision's, a choice's): UTC, ISO, to the millisecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class CatalogDb:
    """One connection, one lock: every write is serialised and committed when it is made.

    Safe to share between the UI thread and one worker thread; `connect` is injectable for tests.
    """

    def __init__(self, path: Path, connect: Callable[..., sqlite3.Connection] = sqlite3.connect):
        self.path = path
        self.notices: list[str] = []  # things the user should be told (a corrupt catalog set aside, ...)
        self._lock = threading.RLock()
        self._batch_depth = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connect = connect
        try:
            self.connection = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise self._translate(exc) from exc
            self._set_aside_corrupt(exc)
            self.connection = self._open()

    def _open(self) -> sqlite3.Connection:
        db = self._connect(str(self.path), timeout=5.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed (quick_check failed)")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._migrate(db)
            db.execute("PRAGMA foreign_keys = ON")
            # WAL: readers never block the writer, and a kill mid-write cannot corrupt committed rows.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Check the version again and migrate inside ONE write transaction: two programs opening a
        fresh catalog at once must not both create its tables; the second waits and finds it done."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < SCHEMA_VERSION:  # outside the transaction: a backup cannot read under our write lock
            backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
            copy = sqlite3.connect(str(backup))
            try:
                db.backup(copy)
            finally:
                copy.close()
            self.notices.append(f"catalog upgraded from schema {version}; backup kept at {backup}")
        # Off during migrations (a no-op inside a transaction): rebuilding a table must not cascade.
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CatalogError(
                    f"{self.path}: catalog schema {version} is newer than this PhotoTriage "
                    f"understands ({SCHEMA_VERSION}); upgrade PhotoTriage"
                )
            for target in range(version, SCHEMA_VERSION):
                apply(db, MIGRATIONS[target])
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
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
            return CatalogError(
                f"{self.path}: the catalog is read-only; decisions cannot be saved "
                "(check the folder's permissions or set PHOTOTRIAGE_DATA_DIR)"
            )
        if "disk is full" in message or "database or disk is full" in message:
            return CatalogError(f"{self.path}: the disk is full; free some space and retry")
        if "unable to open" in message:
            return CatalogError(f"{self.path}: cannot open the catalog ({exc})")
        return exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; sqlite errors the user can act on become CatalogError.

        Inside `batch()` the writes join the batch's transaction instead of committing one by one.
        """
        with self._lock:
            if self._batch_depth:
                yield self.connection
                return
            try:
                self.connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self.connection
                    self.connection.execute("COMMIT")
                except BaseException:
                    _rollback(self.connection)
                    raise
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) from exc

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group many writes (a scan window) into one transaction: one commit instead of hundreds.
        Only for bulk analysis results; user decisions are always committed on their own."""
        with self.write():
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    def read(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.connection.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self.connection.close()


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already: after a failed COMMIT (disk full) it
    rolled back itself, and a second ROLLBACK's error must not hide the real one."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    message = str(exc).lower()
    return "not a database" in message or "malformed" in message or "corrupt" in message
