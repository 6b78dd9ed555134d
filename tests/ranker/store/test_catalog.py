"""Catalog opening: migrations with backup, clear errors, corrupt files set aside, damaged rows survived."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import ranker.store.catalog_db as catalog_db
from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError
from tests.ranker.catalog_photo import add_photo as _photo


def test_corrupt_catalog_is_set_aside_never_deleted(tmp_path):
    path = tmp_path / "c.db"
    garbage = b"this is not an sqlite database" * 100
    path.write_bytes(garbage)
    with Catalog(path) as catalog:
        assert any("damaged" in n for n in catalog.notices)
        _photo(catalog)
    aside = list(tmp_path.glob("c.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage


def test_read_only_catalog_gives_a_clear_error(tmp_path):
    path = tmp_path / "c.db"
    Catalog(path).close()

    def read_only(database, **kwargs):
        return sqlite3.connect(f"file:{database}?mode=ro", uri=True, **kwargs)

    with Catalog(path, connect=read_only) as catalog, pytest.raises(CatalogError, match="read-only"):
        _photo(catalog)


def test_full_disk_gives_a_clear_error(tmp_path):
    class FullDisk(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql.startswith("INSERT INTO files"):  # after opening: migrations insert too
                raise sqlite3.OperationalError("database or disk is full")
            return super().execute(sql, *args)

    def connect(database, **kwargs):
        return sqlite3.connect(database, factory=FullDisk, **kwargs)

    with Catalog(tmp_path / "c.db", connect=connect) as catalog, pytest.raises(CatalogError, match="disk is full"):
        _photo(catalog)


def test_locked_catalog_gives_a_clear_error(tmp_path):
    path = tmp_path / "c.db"
    Catalog(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:

        def impatient(database, **kwargs):
            db = sqlite3.connect(database, **{**kwargs, "timeout": 0.1})
            return db

        with pytest.raises(CatalogError, match="locked"):
            catalog = Catalog(path, connect=impatient)
            catalog.db.connection.execute("PRAGMA busy_timeout = 100")
            _photo(catalog)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_migration_backs_up_before_upgrading(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
        catalog.set_decision(pid, Decision("pick"))
    current = catalog_db.SCHEMA_VERSION
    monkeypatch.setattr(catalog_db, "MIGRATIONS", [*catalog_db.MIGRATIONS, "ALTER TABLE photos ADD COLUMN note TEXT"])
    monkeypatch.setattr(catalog_db, "SCHEMA_VERSION", len(catalog_db.MIGRATIONS))
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("pick")
        assert any("backup" in n for n in catalog.notices)
        assert catalog.db.read("PRAGMA user_version")[0][0] == current + 1
    backup = tmp_path / f"c.db.v{current}.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == current


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "c.db"
    Catalog(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(CatalogError, match="newer"):
        Catalog(path)


def _v1_catalog(path):
    """A catalog as schema 1 left it: copies in two folders merged into one photo."""
    from ranker.store.catalog_schema import MIGRATIONS, apply

    with sqlite3.connect(path) as db:
        apply(db, MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO photos VALUES (1, 'same', 1000.0, 'exif', '{\"make\": \"X\"}', '{\"sharpness\": 2.0}')")
        db.execute("INSERT INTO photos VALUES (2, 'other', 1001.0, 'exif', '{}', '{}')")
        for name, pid, primary in (
            ("/card/IMG_1.CR2", 1, 1),
            ("/card/IMG_1.JPG", 1, 0),
            ("/backup/IMG_1.CR2", 1, 0),
            ("/card/IMG_2.JPG", 2, 1),
        ):
            db.execute("INSERT INTO files VALUES (?, ?, 10, 20, ?)", (name, pid, primary))
        db.execute("INSERT INTO decisions VALUES (1, 'pick', 4, 'red', 'user', 'now')")
        db.execute("INSERT INTO choices VALUES (1, 1, 2, 'compare', 'now')")
        db.execute("INSERT INTO bursts VALUES ('/card', 1, 'burst')")
        db.execute("INSERT INTO burst_members VALUES ('/card', 1, 1, 0)")
    db.close()


def test_migration_gives_each_folder_its_own_photo_and_keeps_every_decision(tmp_path):
    path = tmp_path / "c.db"
    _v1_catalog(path)
    with Catalog(path) as catalog:
        assert any("backup" in n for n in catalog.notices)
        card = catalog.photo_for_path(Path("/card/IMG_1.CR2"))
        backup = catalog.photo_for_path(Path("/backup/IMG_1.CR2"))
        assert card == 1 and backup not in (None, 1)
        assert catalog.photo(card).paths == (Path("/card/IMG_1.CR2"), Path("/card/IMG_1.JPG"))
        assert catalog.photo(backup).paths == (Path("/backup/IMG_1.CR2"),)
        assert catalog.photo(backup).signals == {"sharpness": 2.0}
        assert catalog.decision(card) == catalog.decision(backup) == Decision("pick", 4, "red")
        assert catalog.choices()[0][1:3] == (1, 2)
        assert catalog.shoots() == []  # stored groupings named merged photos: regrouped on the next run
        assert catalog.photo_for_path(Path("/card/IMG_2.JPG")) == 2
    with sqlite3.connect(tmp_path / "c.db.v1.bak") as old:
        assert old.execute("SELECT count(*) FROM files WHERE photo_id = 1").fetchone()[0] == 3


def _v1_with_an_orphan(path, fingerprint="gone"):
    """Schema 1 with photo 3 decided and ranked against photo 2, its file already forgotten (v1 dropped
    vanished files): migration 2 has no folder to give it."""
    _v1_catalog(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO photos VALUES (3, ?, 1002.0, 'exif', '{}', '{\"sharpness\": 1.0}')", (fingerprint,))
        db.execute("INSERT INTO decisions VALUES (3, 'reject', 0, 'yellow', 'user', 'now')")
        db.execute("INSERT INTO scores VALUES (3, 'default', 0.25)")
        db.execute("INSERT INTO choices VALUES (2, 2, 3, 'compare', 'now')")
    db.close()


def test_a_photo_whose_files_were_gone_at_migration_is_matched_by_content_later(tmp_path):
    path = tmp_path / "c.db"
    _v1_with_an_orphan(path)
    with Catalog(path) as catalog:
        assert catalog.photo(3).paths == ()  # kept through the migration, with nothing to find it by
        # Much later the file turns up in a folder the catalog never saw (restored from a backup).
        found = catalog.upsert_photo("gone", 1002.0, "exif", {}, {}, [(Path("/restored/IMG_9.JPG"), 5, 6)])
        assert found != 3
        assert catalog.decision(found) == Decision("reject", 0, "yellow")
        assert catalog.scores("default", [found]) == {found: 0.25}
        assert [c[1:3] for c in catalog.choices()] == [(1, 2), (2, found)]
        assert catalog.db.read("SELECT count(*) FROM photos WHERE id = 3")[0][0] == 0  # taken, not copied
        # Taken once: a second copy elsewhere is a photo of its own, with no decision.
        copy = catalog.upsert_photo("gone", 1002.0, "exif", {}, {}, [(Path("/elsewhere/IMG_9.JPG"), 5, 6)])
        assert copy != found and catalog.decision(copy) == Decision()


@pytest.mark.timeout(120)
def test_a_scan_reattaches_a_pre_migration_orphans_decision(tmp_path):
    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
    from ranker.io.scan import fingerprint
    from tests.fault_files import jpeg_bytes

    shoot = tmp_path / "restored"
    shoot.mkdir()
    for index in range(3):
        (shoot / f"IMG_{index}.jpg").write_bytes(jpeg_bytes(seed=index, size=(160, 120)))
    path = tmp_path / "c.db"
    _v1_with_an_orphan(path, fingerprint(shoot / "IMG_1.jpg"))
    with Catalog(path) as catalog:
        ranking = run(rank_shoot(shoot, catalog, options=PipelineOptions(device="cpu")))
        photo = catalog.photo_for_path(shoot / "IMG_1.jpg")
        assert ranking.photo(photo).decision == Decision("reject", 0, "yellow")
        others = [catalog.photo_for_path(shoot / f"IMG_{i}.jpg") for i in (0, 2)]
        assert all(catalog.decision(pid) == Decision() for pid in others)


def test_damaged_rows_are_reported_or_recomputed_never_fatal(tmp_path):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
        catalog.set_decision(pid, Decision("pick", 3, "red"))
        catalog.put_features([("fp1", "iqa", "1", np.ones(4, np.float32))])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE photos SET signals = '{\"sharpness\" 1.0}'")  # one byte lost
        db.execute("UPDATE decisions SET flag = 'pxck'")
        db.execute("UPDATE features SET vector = x'00'")
    db.close()
    with Catalog(path) as catalog:
        record = catalog.photo(pid)
        assert record.damaged and record.fingerprint is None and record.paths == (Path("/s/a.jpg"),)
        assert catalog.decision(pid) == Decision(None, 3, "red")
        assert any("/s/a.jpg" in n and "damaged" in n for n in catalog.notices)
        assert catalog.get_features("fp1", "iqa", "1") is None
        assert catalog.db.read("SELECT count(*) FROM features")[0][0] == 0  # dropped, to be recomputed


def test_a_failed_commit_reports_the_real_error(tmp_path):
    class FullOnCommit(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql == "COMMIT" and self.in_transaction and self.total_changes:
                super().execute("ROLLBACK")  # what SQLite does itself when the disk fills mid-commit
                raise sqlite3.OperationalError("database or disk is full")
            return super().execute(sql, *args)

    path = tmp_path / "c.db"
    Catalog(path).close()

    def connect(database, **kwargs):
        return sqlite3.connect(database, factory=FullOnCommit, **kwargs)

    with Catalog(path, connect=connect) as catalog, pytest.raises(CatalogError, match="disk is full"):
        _photo(catalog)


def test_migration_4_holds_label_names_and_further_labels(tmp_path):
    from ranker.store.catalog_schema import MIGRATIONS, apply

    path = tmp_path / "c.db"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:3]:
            apply(db, migration)
        db.execute("PRAGMA user_version = 3")
        db.execute("INSERT INTO photos (id, capture_ts, time_source) VALUES (1, 1.0, 'file')")
        db.execute("INSERT INTO decisions VALUES (1, 'pick', 3, 'red', 'user', 'now')")
    db.close()
    with Catalog(path) as catalog:
        assert any("backup" in n for n in catalog.notices)
        assert catalog.decision(1) == Decision("pick", 3, "red") and catalog.decision(1).names == (None, ())
        catalog.set_decision(1, Decision("pick", 3, "red", "Rot", ("purple", "blue")))
        pid = _photo(catalog, "b.jpg", "fp2")
        catalog.set_decision(pid, Decision(None, 1, None, "Approved"))
    with Catalog(path) as catalog:
        assert catalog.decision(1).names == ("Rot", ("blue", "purple"))
        assert catalog.decision(pid).names == ("Approved", ())
    assert (tmp_path / "c.db.v3.bak").exists()
