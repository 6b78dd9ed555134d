"""The SQLite catalog: photos, files, cached features, bursts, scores, decisions and pairwise choices."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np

from ranker.bursts import BurstKind
from ranker.catalog_rows import BurstRow, CatalogError, Choice, DecisionTime, PhotoRecord, XmpState
from ranker.catalog_schema import MIGRATIONS, apply, db_path, from_db
from ranker.decisions import FLAGS, LABELS, Decision
from ranker.load_errors import printable_path
from ranker.paths import data_dir


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


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
                    _rollback(self._db)
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

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- photos and files -------------------------------------------------------------------
    # A photo is a group of files (a RAW and its JPEG twin) in one folder, identified by its paths
    # from the moment the folder is listed. Content fingerprints only key the analysis cache, so
    # copies in two folders are two photos that share features but never paths or decisions.
    def identify(
        self, groups: Iterable[Sequence[tuple[Path, int, int]]], in_scope: Callable[[Path], bool]
    ) -> list[int]:
        """One photo id per listed group of (path, size, mtime_ns), primary first, in one transaction.

        A known path keeps its photo. A new path whose size and mtime match a photo that vanished from
        this folder (`in_scope` of its last path) is that photo renamed or moved: it keeps its id and
        decisions without a byte being read. Anything else is a new photo, not analysed yet, that can
        already hold a decision."""
        ids: list[int] = []
        with self._write() as db:
            for files in groups:
                keys = [db_path(path) for path, _, _ in files]
                known = [db.execute("SELECT photo_id FROM files WHERE path = ?", (key,)).fetchone() for key in keys]
                known_ids = [row[0] for row in known if row]
                _, size, mtime_ns = files[0]
                photo_id = known_ids[0] if known_ids else self._renamed(db, files[0], in_scope)
                if photo_id is None:
                    # sqlite3 types lastrowid Optional; after an INSERT it is the new row's id
                    photo_id = cast(
                        int,
                        db.execute(
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
                        db.execute(
                            "INSERT INTO files (path, photo_id, size, mtime_ns, is_primary) VALUES (?,?,?,?,?)",
                            (key, photo_id, *stat, int(index == 0)),
                        )
                    else:
                        db.execute(
                            "UPDATE files SET photo_id = ?, is_primary = ? WHERE path = ?",
                            (photo_id, int(index == 0), key),
                        )
                ids.append(photo_id)
        return ids

    def _renamed(
        self, db: sqlite3.Connection, primary: tuple[Path, int, int], in_scope: Callable[[Path], bool]
    ) -> int | None:
        _, size, mtime_ns = primary
        photo_id: int  # photos.id is INTEGER PRIMARY KEY
        for photo_id, last in db.execute(
            "SELECT id, last_path FROM photos WHERE last_size = ? AND last_mtime_ns = ? AND last_path IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM files WHERE files.photo_id = photos.id) ORDER BY id",
            (size, mtime_ns),
        ).fetchall():
            if in_scope(from_db(last)):
                return photo_id
        return None

    def adopt(self, photo_id: int, fingerprint: str, in_scope: Callable[[Path], bool]) -> bool:
        """A never-analysed photo whose content is that of a photo which vanished from this folder
        (moved in a way that changed its mtime): that photo's decision, scores and choices move to
        `photo_id` (a decision the user already made on `photo_id` wins) and the old one is dropped.

        Failing that, a photo from before migration 2 whose files were already gone then (it has no
        last path, so no folder to be in scope of) is matched by content alone, wherever its file
        turns up: schema 1 keyed every photo by content, so that is the identity it had."""
        with self._write() as db:
            if db.execute("SELECT fingerprint FROM photos WHERE id = ?", (photo_id,)).fetchone() != (None,):
                return False
            rows = db.execute(
                "SELECT id, last_path FROM photos WHERE fingerprint = ? AND id != ? "
                "AND NOT EXISTS (SELECT 1 FROM files WHERE files.photo_id = photos.id) ORDER BY id",
                (fingerprint, photo_id),
            ).fetchall()
            old = next((pid for pid, last in rows if last is not None and in_scope(from_db(last))), None)
            if old is None:
                old = next((pid for pid, last in rows if last is None), None)
            if old is None:
                return False
            if not db.execute("SELECT 1 FROM decisions WHERE photo_id = ?", (photo_id,)).fetchone():
                db.execute("UPDATE decisions SET photo_id = ? WHERE photo_id = ?", (photo_id, old))
            db.execute(
                "INSERT OR IGNORE INTO scores SELECT ?, model, score FROM scores WHERE photo_id = ?", (photo_id, old)
            )
            db.execute("UPDATE choices SET winner_id = ? WHERE winner_id = ?", (photo_id, old))
            db.execute("UPDATE choices SET loser_id = ? WHERE loser_id = ?", (photo_id, old))
            db.execute(
                "UPDATE photos SET sidecars_read = MAX(sidecars_read, (SELECT sidecars_read FROM photos "
                "WHERE id = ?)) WHERE id = ?",
                (old, photo_id),
            )
            db.execute("DELETE FROM choices WHERE winner_id = loser_id")
            db.execute("DELETE FROM photos WHERE id = ?", (old,))
            return True

    def record_analysis(
        self,
        photo_id: int,
        fingerprint: str,
        capture_ts: float,
        time_source: str,
        metadata: dict[str, Any],
        signals: dict[str, float],
        files: Sequence[tuple[Path, int, int]],
    ) -> None:
        """Store what analysing the photo's content found, and the file states it was found in."""
        with self._write() as db:
            db.execute(
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
            db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ? AND photo_id = ?",
                [(size, mtime_ns, db_path(path), photo_id) for path, size, mtime_ns in files],
            )

    def mark_sidecars_read(self, photo_id: int) -> None:
        with self._write() as db:
            db.execute("UPDATE photos SET sidecars_read = 1 WHERE id = ?", (photo_id,))

    def upsert_photo(
        self,
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
        with self.batch():
            for pid, _last in self._read("SELECT id, last_path FROM photos WHERE fingerprint = ?", (fingerprint,)):
                gone = [p for p in self._paths(pid) if not os.path.lexists(p)]
                if gone and gone == list(self._paths(pid)) and all(p.parent == folder for p in gone):
                    self.forget_files(gone)
            photo_id = self.identify([files], lambda last: last.parent == folder)[0]
            self.adopt(photo_id, fingerprint, lambda last: last.parent == folder)
            self.record_analysis(photo_id, fingerprint, capture_ts, time_source, metadata, signals, files)
        return photo_id

    def forget_files(self, paths: Iterable[Path]) -> None:
        """Drop file rows for paths that vanished; photos and their decisions stay (they may reappear moved)."""
        with self._write() as db:
            db.executemany("DELETE FROM files WHERE path = ?", [(db_path(p),) for p in paths])

    def files_under(self, root: Path) -> list[Path]:
        prefix = str(root).rstrip("/") + "/"
        key = db_path(prefix)
        rows = self._read("SELECT path FROM files WHERE substr(path, 1, ?) = ?", (len(key), key))
        # Names stored as bytes (not UTF-8) compare unequal to any text prefix: filter them here.
        raw = self._read("SELECT path FROM files WHERE typeof(path) = 'blob'")
        found = [from_db(r[0]) for r in rows] + [p for p in (from_db(r[0]) for r in raw) if str(p).startswith(prefix)]
        return list(dict.fromkeys(found))

    def file_states(self, photo_id: int) -> dict[Path, tuple[int, int]]:
        """{path: (size, mtime_ns)} as recorded when the photo was last analysed (-1 when never)."""
        return {
            from_db(r[0]): (r[1], r[2])
            for r in self._read("SELECT path, size, mtime_ns FROM files WHERE photo_id = ?", (photo_id,))
        }

    def analysed_like(self, fingerprint: str) -> PhotoRecord | None:
        """An intact analysis of this content (any folder's photo): metadata and signals are a cache."""
        for row in self._read(
            "SELECT id, fingerprint, capture_ts, time_source, metadata, signals, sidecars_read "
            "FROM photos WHERE fingerprint = ? ORDER BY id",
            (fingerprint,),
        ):
            record = self._record(row)
            if not record.damaged:
                return record
        return None

    def photo(self, photo_id: int) -> PhotoRecord:
        rows = self._read(
            "SELECT id, fingerprint, capture_ts, time_source, metadata, signals, sidecars_read FROM photos WHERE id=?",
            (photo_id,),
        )
        if not rows:
            raise KeyError(f"no photo {photo_id} in the catalog")
        return self._record(rows[0])

    def photos(self, photo_ids: Iterable[int]) -> list[PhotoRecord]:
        return [self.photo(pid) for pid in photo_ids]

    def _paths(self, photo_id: int) -> tuple[Path, ...]:
        return tuple(
            from_db(r[0])
            for r in self._read("SELECT path FROM files WHERE photo_id = ? ORDER BY is_primary DESC, path", (photo_id,))
        )

    def _record(self, row: tuple[Any, ...]) -> PhotoRecord:
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
            return PhotoRecord(photo_id, None, self._paths(photo_id), 0.0, "file", {}, {}, True, bool(row[6]))
        return PhotoRecord(
            photo_id,
            fingerprint,
            self._paths(photo_id),
            float(capture_ts),
            time_source,
            metadata,
            signals,
            False,
            bool(row[6]),
        )

    def photo_for_path(self, path: Path) -> int | None:
        rows = self._read("SELECT photo_id FROM files WHERE path = ?", (db_path(Path(path)),))
        return rows[0][0] if rows else None

    def known_file(self, path: Path) -> tuple[int, int, int] | None:
        """(photo_id, size, mtime_ns) recorded for this path."""
        rows = self._read("SELECT photo_id, size, mtime_ns FROM files WHERE path = ?", (db_path(Path(path)),))
        return tuple(rows[0]) if rows else None

    # -- features -----------------------------------------------------------------------
    def get_features(self, fingerprint: str, extractor: str, version: str, dim: int | None = None) -> np.ndarray | None:
        """The cached vector, or None. A damaged row (not float32 bytes, the wrong length, NaN) is a
        cache miss: it is dropped, and the scan recomputes it."""
        rows = self._read(
            "SELECT vector FROM features WHERE fingerprint=? AND extractor=? AND version=?",
            (fingerprint, extractor, version),
        )
        if not rows:
            return None
        blob = rows[0][0]
        vector = None
        if isinstance(blob, bytes) and blob and len(blob) % 4 == 0:
            vector = np.frombuffer(blob, dtype=np.float32).copy()
            if (dim is not None and vector.shape != (dim,)) or not np.isfinite(vector).all():
                vector = None
        if vector is None:
            with self._write() as db:
                db.execute(
                    "DELETE FROM features WHERE fingerprint=? AND extractor=? AND version=?",
                    (fingerprint, extractor, version),
                )
        return vector

    def put_features(self, items: Iterable[tuple[str, str, str, np.ndarray]]) -> None:
        """Store (fingerprint, extractor, version, vector) rows in one transaction."""
        rows = [(fp, ex, ver, np.asarray(vec, dtype=np.float32).tobytes()) for fp, ex, ver, vec in items]
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO features VALUES (?,?,?,?)", rows)

    # -- bursts and scores ----------------------------------------------------------------
    def replace_bursts(self, shoot: str, bursts: list[tuple[str, list[int]]]) -> None:
        """Store a shoot's grouping: [(kind, [photo ids in capture order])], numbered from 1."""
        key = db_path(shoot)
        with self._write() as db:
            db.execute("DELETE FROM burst_members WHERE shoot = ?", (key,))
            db.execute("DELETE FROM bursts WHERE shoot = ?", (key,))
            for number, (kind, members) in enumerate(bursts, start=1):
                db.execute("INSERT INTO bursts VALUES (?,?,?)", (key, number, kind))
                db.executemany(
                    "INSERT INTO burst_members VALUES (?,?,?,?)",
                    [(key, number, pid, pos) for pos, pid in enumerate(members)],
                )

    def shoots(self) -> list[str]:
        """Every shoot (folder key) with a stored burst grouping."""
        return [os.fsdecode(row[0]) for row in self._read("SELECT DISTINCT shoot FROM bursts ORDER BY shoot")]

    def bursts(self, shoot: str) -> list[BurstRow]:
        key = db_path(shoot)
        kinds = self._read("SELECT number, kind FROM bursts WHERE shoot = ? ORDER BY number", (key,))
        members = self._read(
            "SELECT burst, photo_id FROM burst_members WHERE shoot = ? ORDER BY burst, position", (key,)
        )
        grouped: dict[int, list[int]] = {n: [] for n, _ in kinds}
        for burst, pid in members:
            grouped[burst].append(pid)
        return [BurstRow(n, BurstKind(kind), grouped[n]) for n, kind in kinds]

    def burst_mates(self, photo_ids: Iterable[int]) -> list[list[int]]:
        """The stored burst of each given photo (its first shoot's, when several shoots hold it), each
        burst once; photos in no stored burst are left out."""
        ids = list(photo_ids)
        chosen: dict[int, tuple[str, int]] = {}
        for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
            chunk = ids[start : start + 500]
            rows = self._read(
                f"SELECT photo_id, shoot, burst FROM burst_members WHERE photo_id IN "
                f"({','.join('?' * len(chunk))}) ORDER BY shoot",
                chunk,
            )
            for photo_id, shoot, burst in rows:
                chosen.setdefault(photo_id, (shoot, burst))
        return [
            [
                row[0]
                for row in self._read(
                    "SELECT photo_id FROM burst_members WHERE shoot = ? AND burst = ? ORDER BY position", key
                )
            ]
            for key in dict.fromkeys(chosen.values())
        ]

    def put_scores(self, model: str, scores: dict[int, float]) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?,?,?)", [(pid, model, float(s)) for pid, s in scores.items()]
            )

    def scores(self, model: str, photo_ids: Iterable[int]) -> dict[int, float]:
        ids = list(photo_ids)
        result: dict[int, float] = {}
        for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            result.update(
                self._read(
                    f"SELECT photo_id, score FROM scores WHERE model = ? AND photo_id IN ({marks})", [model, *chunk]
                )
            )
        return result

    # -- decisions and choices -----------------------------------------------------------
    def decision(self, photo_id: int) -> Decision:
        """The stored decision. A damaged row is reported (a notice naming the photo) and read field
        by field, keeping what is still valid; it is never fatal and never rewritten here."""
        rows = self._read(
            "SELECT flag, rating, label, label_name, more_labels FROM decisions WHERE photo_id = ?", (photo_id,)
        )
        if not rows:
            return Decision()
        flag, rating, label, name, more = rows[0]
        more_labels = tuple(more.split(",")) if isinstance(more, str) and more else ()
        try:
            return Decision(flag, rating, label, name, more_labels)
        except (ValueError, TypeError) as exc:
            label = label.lower() if isinstance(label, str) and label.lower() in LABELS else None
            try:
                extras = Decision(None, 0, label, name, more_labels)
            except (ValueError, TypeError):
                extras = Decision(None, 0, label)
            kept = Decision(
                flag if flag in FLAGS else None,
                rating if isinstance(rating, int) and 0 <= rating <= 5 else 0,
                label,
                extras.label_name,
                extras.more_labels,
            )
            where = ", ".join(printable_path(p) for p in self._paths(photo_id)) or f"photo {photo_id}"
            notice = f"{where}: the catalog's decision row is damaged ({exc}); kept what is valid: {kept}"
            if notice not in self.notices:
                self.notices.append(notice)
            return kept

    def decisions(self, photo_ids: Iterable[int]) -> dict[int, Decision]:
        return {pid: self.decision(pid) for pid in photo_ids}

    def has_decision(self, photo_id: int) -> bool:
        return bool(self._read("SELECT 1 FROM decisions WHERE photo_id = ?", (photo_id,)))

    def set_decision(self, photo_id: int, decision: Decision, source: str = "user") -> None:
        """Committed before returning: a decision shown to the user survives a kill."""
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO decisions (photo_id, flag, rating, label, source, updated, label_name, "
                "more_labels) VALUES (?,?,?,?,?,?,?,?)",
                (
                    photo_id,
                    decision.flag,
                    int(decision.rating),
                    decision.label,
                    source,
                    _now(),
                    decision.label_name,
                    ",".join(decision.more_labels),
                ),
            )

    def add_choice(self, winner_id: int, loser_id: int, source: str = "compare") -> int:
        if winner_id == loser_id:
            raise ValueError("a photo cannot be chosen over itself")
        with self._write() as db:
            # sqlite3 types lastrowid Optional; after an INSERT it is the new row's id
            return cast(
                int,
                db.execute(
                    "INSERT INTO choices (winner_id, loser_id, source, created) VALUES (?,?,?,?)",
                    (winner_id, loser_id, source, _now()),
                ).lastrowid,
            )

    def remove_choice(self, choice_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM choices WHERE id = ?", (choice_id,))

    def choices(self) -> list[Choice]:
        """Every pairwise choice, in the order they were made."""
        return [
            Choice(*r) for r in self._read("SELECT id, winner_id, loser_id, source, created FROM choices ORDER BY id")
        ]

    # -- XMP read-back state (ranker/readback.py) ------------------------------------------
    def xmp_state(self, path: Path) -> XmpState | None:
        """What was recorded when a sidecar or a photo's embedded XMP was last read."""
        rows = self._read(
            "SELECT photo_id, size, mtime_ns, sha256, seen FROM xmp_state WHERE path = ?", (db_path(path),)
        )
        return XmpState(*rows[0]) if rows else None

    def set_xmp_state(self, path: Path, photo_id: int, size: int, mtime_ns: int, sha256: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO xmp_state VALUES (?,?,?,?,?,?)",
                (db_path(path), photo_id, int(size), int(mtime_ns), sha256, _now()),
            )

    def decision_updated(self, photo_id: int) -> DecisionTime | None:
        """Who made the photo's decision and when, or None when it has none."""
        rows = self._read("SELECT source, updated FROM decisions WHERE photo_id = ?", (photo_id,))
        return DecisionTime(*rows[0]) if rows else None


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


def _json_dict(text: str | bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
