"""Tests ranker/store/readback.py: sidecars changed by other tools after a scan come in; conflicts are never silent."""

from __future__ import annotations

import os
import time

import numpy as np
from PIL import Image

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from ranker.store.readback import remember, sync_photo
from ranker.xmp import write_sidecar

LIGHTROOM = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4" xmp:Label="Red"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _photo(tmp_path, catalog, name="ac_0.JPG"):
    path = tmp_path / name
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    st = path.stat()
    pid = catalog.upsert_photo(f"fp-{name}", 0.0, "file", {}, {}, [(path, st.st_size, st.st_mtime_ns)])
    return pid, path


def _later(path, seconds=5.0):
    when = time.time() + seconds
    os.utime(path, (when, when))


def test_lightroom_edit_after_the_scan_is_imported(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid, photo = _photo(tmp_path, catalog)
        assert sync_photo(catalog, pid, [photo]) is None  # nothing recorded anywhere
        (tmp_path / "ac_0.xmp").write_bytes(LIGHTROOM)
        _later(tmp_path / "ac_0.xmp")
        change = sync_photo(catalog, pid, [photo])
        assert change.kept == "disk" and not change.conflict
        assert catalog.decision(pid) == Decision(None, 4, "red")
        assert "imported ac_0.xmp" in change.describe()
        assert sync_photo(catalog, pid, [photo]) is None  # read once; unchanged since


def test_first_scan_killed_before_import_is_caught_up(tmp_path):
    """Photos in the catalog, sidecars never read (a kill between the two): the next sync imports them."""
    with Catalog(tmp_path / "c.db") as catalog:
        ids = []
        for i in range(3):
            pid, photo = _photo(tmp_path, catalog, f"ac_{i}.JPG")
            (tmp_path / f"ac_{i}.xmp").write_bytes(LIGHTROOM.replace(b'"4"', f'"{i + 1}"'.encode()))
            ids.append((pid, photo))
        for i, (pid, photo) in enumerate(ids):
            sync_photo(catalog, pid, [photo])
            assert catalog.decision(pid) == Decision(None, i + 1, "red")


def test_conflict_newer_wins_and_is_reported(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid, photo = _photo(tmp_path, catalog)
        side = write_sidecar(photo, Decision(None, 2, None))
        remember(catalog, pid, side)
        time.sleep(0.01)  # the catalog's times are in ms: the decision below must come after the read
        # Here, the user picks the photo; a minute earlier another tool had written 5 stars.
        side.write_bytes(side.read_bytes().replace(b'xmp:Rating="2"', b'xmp:Rating="5"'))
        past = time.time() - 60
        os.utime(side, (past, past))
        catalog.set_decision(pid, Decision("pick", 2, None))
        change = sync_photo(catalog, pid, [photo])
        assert change.conflict and change.kept == "catalog"
        assert catalog.decision(pid) == Decision("pick", 2, None)
        assert "conflict" in change.describe() and "yours" in change.describe()
        # The other way round: the file is the newer one.
        side.write_bytes(side.read_bytes().replace(b'xmp:Rating="5"', b'xmp:Rating="3"'))
        _later(side)
        time.sleep(0.01)  # after the read the first sync recorded (ms clock)
        catalog.set_decision(pid, Decision("pick", 1, None))
        change = sync_photo(catalog, pid, [photo])
        assert change.conflict and change.kept == "disk"
        assert catalog.decision(pid) == Decision(None, 3, None)


def test_our_own_write_is_not_an_outside_change(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid, photo = _photo(tmp_path, catalog)
        catalog.set_decision(pid, Decision("reject"))
        remember(catalog, pid, write_sidecar(photo, Decision("reject")))
        assert sync_photo(catalog, pid, [photo]) is None


def test_embedded_xmp_and_exif_rating_are_read(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid, photo = _photo(tmp_path, catalog)
        exif = Image.Exif()
        exif[0x4746] = 3  # EXIF Rating, as cameras and Windows write it
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo, exif=exif)
        change = sync_photo(catalog, pid, [photo])
        assert change.source == photo and catalog.decision(pid) == Decision(None, 3, None)
