"""Catalog: decisions committed at once, migrations with backup, clear errors, corrupt files set aside."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ranker.catalog as catalog_module
from ranker.catalog import Catalog, CatalogError
from ranker.decisions import Decision


def _photo(catalog, name="a.jpg", fp="fp1"):
    return catalog.upsert_photo(fp, 1000.0, "exif", {"make": "X"}, {"sharpness": 1.0}, [(Path(f"/s/{name}"), 10, 20)])


def test_decisions_survive_reopen(tmp_path):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
        catalog.set_decision(pid, Decision("pick", 3, "red"))
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("pick", 3, "red")
        assert catalog.decision(pid + 1) == Decision()


def test_a_decision_survives_a_kill_right_after_it_is_made(tmp_path):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
    code = textwrap.dedent(f"""
        import os, signal
        from ranker.catalog import Catalog
        from ranker.decisions import Decision
        c = Catalog({str(path)!r})
        c.set_decision({pid}, Decision("reject", 1, None))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", code], timeout=60, env={**os.environ})
    assert result.returncode == -signal.SIGKILL
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("reject", 1, None)


def test_features_cache_round_trip_and_choices(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        a, b = _photo(catalog, "a.jpg", "fa"), _photo(catalog, "b.jpg", "fb")
        vector = np.arange(5, dtype=np.float32)
        catalog.put_features([("fa", "iqa", "1", vector)])
        assert np.array_equal(catalog.get_features("fa", "iqa", "1"), vector)
        assert catalog.get_features("fa", "iqa", "2") is None
        choice = catalog.add_choice(a, b)
        assert catalog.choices()[0][:4] == (choice, a, b, "compare")
        catalog.remove_choice(choice)
        assert catalog.choices() == []
        with pytest.raises(ValueError):
            catalog.add_choice(a, a)


def test_same_content_under_new_path_keeps_its_id(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid = _photo(catalog, "a.jpg", "same")
        again = catalog.upsert_photo("same", 1000.0, "exif", {}, {}, [(Path("/s/moved.jpg"), 10, 20)])
        assert again == pid
        assert catalog.photo(pid).path == Path("/s/moved.jpg")
        assert catalog.known_file(Path("/s/a.jpg")) is None


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
            if sql.startswith("INSERT"):
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
            catalog._db.execute("PRAGMA busy_timeout = 100")
            _photo(catalog)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_migration_backs_up_before_upgrading(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        pid = _photo(catalog)
        catalog.set_decision(pid, Decision("pick"))
    monkeypatch.setattr(catalog_module, "MIGRATIONS", [*catalog_module.MIGRATIONS, "ALTER TABLE photos ADD COLUMN note TEXT"])
    monkeypatch.setattr(catalog_module, "SCHEMA_VERSION", len(catalog_module.MIGRATIONS))
    with Catalog(path) as catalog:
        assert catalog.decision(pid) == Decision("pick")
        assert any("backup" in n for n in catalog.notices)
        assert catalog._read("PRAGMA user_version")[0][0] == 2
    backup = tmp_path / "c.db.v1.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "c.db"
    Catalog(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(CatalogError, match="newer"):
        Catalog(path)
