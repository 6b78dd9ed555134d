"""Faults a careful user or an adversary meets: each is built here, and each must end in a clear
message naming the file (or correct behaviour), without hanging, with the good photos processed
and every byte the user owns unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.decisions import Decision
from ranker.engines import local_engine
from ranker.export import ExportItem, plan_export, run_export
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import CatalogError
from ranker.store.writeback import write_decision
from ranker.xmp import MAX_XMP_BYTES, XmpError, read_xmp
from ranker.xmp.style import XmpStyle
from tests.fault_files import (
    damaged_jpeg,
    fifo,
    header_claims_bigger,
    huge_sidecar,
    ifd_loop_raw,
    jpeg_bytes,
    surrogate_name,
    xmp_flood,
)

GOOD = 4


def _tree(root: Path) -> dict[str, str]:
    """sha256 of every regular file the user owns under `root` (FIFOs and links by kind only)."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                out[os.fsencode(path).hex()] = "special"
            else:
                out[os.fsencode(path).hex()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _good_shoot(folder: Path, count: int = GOOD) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"good_{index}.jpg"
        path.write_bytes(jpeg_bytes(seed=100 + index, size=(160, 120)))
        paths.append(path)
    return paths


def _rank(folder: Path, catalog: Catalog, **options):
    return run(rank_shoot(folder, catalog, options=PipelineOptions(device="cpu", **options)))


def _ranked(ranking) -> set[Path]:
    return {p.path for b in ranking.bursts for p in b.photos}


def _errors(ranking) -> dict[str, str]:
    return {e.path.name: e.reason for e in ranking.errors}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("suffix", [".CR2", ".DNG"])
def test_crafted_raw_with_an_ifd_loop_is_reported_quickly(tmp_path, suffix):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    ifd_loop_raw(folder / f"bomb{suffix}")  # 65,535 entries per IFD, pointing at each other: 1.5 MB
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    assert _ranked(ranking) == set(good)
    assert set(_errors(ranking)) == {f"bomb{suffix}"} and _errors(ranking)[f"bomb{suffix}"]
    assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_a_flood_of_unclosed_xmp_packets_does_not_hang(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    flood = xmp_flood(folder / "flood.jpg", megabytes=8.4, seed=7)
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    assert _ranked(ranking) == {*good, flood}  # a valid JPEG with junk after it is still a photo
    assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_a_fifo_named_like_a_photo_is_reported_not_waited_on(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder / "day1")
    fifo(folder / "day1" / "y.jpg")
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog, recursive=True)
    assert _ranked(ranking) == set(good)
    assert _errors(ranking) == {"y.jpg": "not a regular file"}
    assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_a_name_that_is_not_utf8_is_ranked_and_printable(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    odd = surrogate_name(folder, seed=9)
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
        assert _ranked(ranking) == {*good, odd}
        odd_id = catalog.photo_for_path(odd)
        catalog.set_decision(odd_id, Decision(flag="pick"))
        again = _rank(folder, catalog)
        assert again.stats["decoded"] == 0 and again.photo(odd_id).decision == Decision(flag="pick")
    text = json.dumps(ranking.to_json(), ensure_ascii=False)
    text.encode("utf-8")  # printable everywhere: the bad byte is shown escaped
    names = [p["path"] for b in ranking.to_json()["bursts"] for p in b["photos"]]
    assert any(name.endswith("caf\\xe9.jpg") for name in names), names
    assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_photos_deleted_while_ranking_are_reported_and_the_rest_ranked(tmp_path, monkeypatch):
    """Files without EXIF time: the capture time must come from the listing, not a stat after decoding."""
    folder = tmp_path / "shoot"
    good = _good_shoot(folder, 6)
    gone_before, gone_after = good[1], good[4]
    real = local_engine.load_photo

    def deleting(path, **kwargs):  # the injected hook: the user deletes photos mid-run
        if Path(path) == gone_before:
            gone_before.unlink()
        result = real(path, **kwargs)
        if Path(path) == gone_after:
            gone_after.unlink()
        return result

    monkeypatch.setattr(local_engine, "load_photo", deleting)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    assert _errors(ranking) == {gone_before.name: "file not found"}
    assert _ranked(ranking) == set(good) - {gone_before}  # decoded before it went: ranked
    assert all(p.exists() for p in set(good) - {gone_before, gone_after})


@pytest.mark.timeout(60)
def test_a_flipped_byte_in_catalog_rows_is_recomputed_or_reported(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        first = _rank(folder, catalog)
        victim = catalog.photo_for_path(good[0])
        decided = catalog.photo_for_path(good[1])
        catalog.set_decision(decided, Decision("pick", 4, "red"))
        fingerprint = catalog.photo(victim).fingerprint
    with sqlite3.connect(path) as db:  # what one flipped bit does to rows quick_check calls ok
        signals = db.execute("SELECT signals FROM photos WHERE id = ?", (victim,)).fetchone()[0]
        db.execute("UPDATE photos SET signals = ? WHERE id = ?", (signals.replace(":", ";", 1), victim))
        db.execute("UPDATE decisions SET flag = 'pigk' WHERE photo_id = ?", (decided,))
        db.execute(
            "UPDATE features SET vector = x'00' WHERE fingerprint = ? AND extractor = 'descriptor'", (fingerprint,)
        )
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    db.close()
    with Catalog(path) as catalog:
        again = _rank(folder, catalog)
        assert _ranked(again) == _ranked(first) == set(good)
        assert again.stats["decoded"] == 1  # the damaged analysis, recomputed
        assert again.photo(victim).signals == first.photo(victim).signals
        assert again.photo(decided).decision == Decision(None, 4, "red")  # what was still valid
        assert any(good[1].name in n and "damaged" in n for n in again.notices)


_OPEN = "import sys; from ranker.store.catalog import Catalog; Catalog(sys.argv[1]).close()"


@pytest.mark.timeout(120)
def test_concurrent_first_opens_create_the_catalog_once(tmp_path):
    path = tmp_path / "fresh" / "c.db"
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN, str(path)], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=100)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with Catalog(path) as catalog:
        assert not catalog.notices
        assert catalog.db.read("SELECT count(*) FROM photos")[0][0] == 0


@pytest.mark.timeout(60)
def test_a_full_disk_under_the_catalog_is_one_clear_error_and_loses_no_decision(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    path = tmp_path / "c.db"
    with Catalog(path) as catalog:
        _rank(folder, catalog)
        catalog.set_decision(catalog.photo_for_path(good[0]), Decision(rating=5))
    (folder / "new.jpg").write_bytes(jpeg_bytes(seed=55, size=(160, 120)))
    before = _tree(folder)

    class TinyDisk(sqlite3.Connection):
        """The catalog's disk fills: SQLite rolls the commit back itself and reports it."""

        def execute(self, sql, *args):
            if sql == "COMMIT" and self.in_transaction and self.total_changes:
                super().execute("ROLLBACK")
                raise sqlite3.OperationalError("database or disk is full")
            return super().execute(sql, *args)

    def connect(database, **kwargs):
        return sqlite3.connect(database, factory=TinyDisk, **kwargs)

    with Catalog(path, connect=connect) as catalog, pytest.raises(CatalogError, match="disk is full") as error:
        _rank(folder, catalog)
    assert str(path) in str(error.value) and "rollback" not in str(error.value)
    with Catalog(path) as catalog:
        assert catalog.decision(catalog.photo_for_path(good[0])) == Decision(rating=5)
    assert _tree(folder) == before


def _items(ranking) -> list[ExportItem]:
    return [ExportItem(p.paths, b.number, p.rank, p.score, p.decision) for b in ranking.bursts for p in b.photos]


@pytest.mark.timeout(90)
def test_the_same_photos_in_two_folders_never_leak_into_each_other(tmp_path):
    card, backup, dest = tmp_path / "card", tmp_path / "backup", tmp_path / "selects"
    good = _good_shoot(card)
    shutil.copytree(card, backup)
    card_bytes = _tree(card)
    with Catalog(tmp_path / "c.db") as catalog:
        _rank(card, catalog)
        for path in good:
            catalog.set_decision(catalog.photo_for_path(path), Decision(flag="pick"))
        ranking = _rank(backup, catalog)
        assert all(p.parent == backup for p in _ranked(ranking))
        report = run(run_export(plan_export(_items(ranking), dest, mode="move")))
    assert report.ok, report.summary()
    assert _tree(card) == card_bytes  # moving the backup's photos never touches the card
    assert sorted(p.name for p in dest.glob("*.jpg")) == sorted(p.name for p in good)
    assert not list(backup.glob("*.jpg"))


@pytest.mark.timeout(60)
def test_re_export_leaves_an_edited_read_only_destination_sidecar_alone(tmp_path):
    folder, dest = tmp_path / "shoot", tmp_path / "selects"
    _good_shoot(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    items = _items(ranking)
    assert run(run_export(plan_export(items, dest, mode="copy"))).ok
    sidecar = dest / "good_0.xmp"
    edited = sidecar.read_bytes().replace(b'xmp:Rating="0"', b'xmp:Rating="5" xmp:Label="Red"')
    sidecar.write_bytes(edited)  # the user's edit in another tool, then locked
    sidecar.chmod(0o444)
    source = _tree(folder)
    report = run(run_export(plan_export(items, dest, mode="copy")))
    assert report.ok, report.summary()
    assert sidecar.read_bytes() == edited
    assert any(e.dest == sidecar and "left as it is" in e.detail for e in report.skipped)
    assert _tree(folder) == source


@pytest.mark.timeout(60)
def test_move_into_the_source_folder_is_refused(tmp_path):
    folder = tmp_path / "shoot"
    _good_shoot(folder)
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    for dest in (folder, folder / "selects"):
        with pytest.raises(ValueError, match=str(folder)):
            plan_export(_items(ranking), dest, mode="move")
    assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_damaged_jpegs_that_decode_grey_are_flagged_not_ranked(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    header_claims_bigger(folder / "claims_9000.jpg")
    damaged_jpeg(folder / "cut.jpg")
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    assert _ranked(ranking) == set(good)  # so auto-cull can never pick them
    errors = _errors(ranking)
    assert "grey" in errors["claims_9000.jpg"] and "truncated" in errors["cut.jpg"]


@pytest.mark.timeout(60)
def test_rank_reports_an_unreadable_sidecar_by_name(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    broken = folder / "good_0.xmp"
    broken.write_bytes(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF")  # cut off mid-write
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
    assert _ranked(ranking) == set(good)
    assert any(str(good[0]) in n and "could not be read" in n for n in ranking.notices), ranking.notices
    assert _tree(folder) == before


SHARED_CR2 = Path(__file__).resolve().parents[3] / "shared" / "photos" / "raw" / "IMG_5952.CR2"


@pytest.mark.timeout(60)
@pytest.mark.skipif(not SHARED_CR2.is_file(), reason="../shared/photos/raw/IMG_5952.CR2 absent")
def test_a_truncated_cr2_ranks_on_its_preview_and_says_so(tmp_path):
    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    data = SHARED_CR2.read_bytes()
    (folder / "half.CR2").write_bytes(data[: len(data) // 2])
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
        again = _rank(folder, catalog)
    assert _ranked(ranking) == {*good, folder / "half.CR2"}
    for run_ in (ranking, again):
        assert any("half.CR2" in n and "RAW data damaged" in n and "preview only" in n for n in run_.notices)
    assert _tree(folder) == before


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["copy", "move"])
def test_a_huge_sidecar_is_refused_by_name_and_never_rewritten(tmp_path, mode):
    folder, dest = tmp_path / "shoot", tmp_path / "selects"
    good = _good_shoot(folder)
    bomb = huge_sidecar(folder / "good_0.xmp", megabytes=50, rating=4)
    assert bomb.stat().st_size > MAX_XMP_BYTES
    bomb_sha = _sha(bomb)
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = _rank(folder, catalog)
        assert _ranked(ranking) == set(good)  # the photo is fine: ranked; only its sidecar is not read
        assert any("good_0.xmp" in n and "32 MiB" in n for n in ranking.notices), ranking.notices
        photo_id = catalog.photo_for_path(good[0])
        assert catalog.decision(photo_id).rating == 0  # the 4 stars inside were not imported
        catalog.set_decision(photo_id, Decision(rating=2))
        with pytest.raises(XmpError, match="good_0.xmp.*never rewritten"):  # live write-back
            write_decision(catalog, photo_id, (good[0],), Decision(rating=2), XmpStyle())
        assert _tree(folder) == before
        ranking = _rank(folder, catalog)
        report = run(run_export(plan_export(_items(ranking), dest, mode=mode)))
        assert catalog.decision(photo_id) == Decision(rating=2)  # the decision stays in the catalog
    assert [e.dest.name for e in report.failed] == ["good_0.xmp"], report.summary()
    assert "32 MiB" in report.failed[0].detail
    assert _sha(dest / "good_0.xmp") == bomb_sha  # carried byte for byte, never merged into
    assert sorted(p.name for p in dest.glob("*.jpg")) == sorted(p.name for p in good)
    if mode == "copy":
        assert _tree(folder) == before


@pytest.mark.timeout(60)
def test_a_large_sidecar_under_the_cap_reads_in_memory_bounded_by_its_size(tmp_path):
    sidecar = huge_sidecar(tmp_path / "big.xmp", megabytes=8, rating=4)
    tracemalloc.start()
    try:
        decision, _ = read_xmp(sidecar)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decision == Decision(None, 4, None)
    assert peak < 3 * sidecar.stat().st_size, peak  # the bytes and a few nodes (once 30x the file)


@pytest.mark.timeout(60)
def test_libraws_own_messages_name_the_file_and_the_rest_is_ranked(tmp_path, monkeypatch, capfd):
    """LibRaw prints "NAME: Unexpected end of file" from C to fd 2; it comes back as a warning naming
    the photo (our damage check is told to miss the cut, so LibRaw itself meets it)."""
    from ranker.io import raw_decode
    from ranker.io.libraw_stderr import LibRawWarning
    from tests.synthetic_files import write_dng

    folder = tmp_path / "shoot"
    good = _good_shoot(folder)
    data = write_dng(tmp_path / "whole.dng").read_bytes()
    (folder / "cut.dng").write_bytes(data[: len(data) * 6 // 10])
    monkeypatch.setattr(raw_decode, "raw_damage", lambda *args: None)
    before = _tree(folder)
    with Catalog(tmp_path / "c.db") as catalog, pytest.warns(LibRawWarning) as caught:
        ranking = _rank(folder, catalog)
    assert _ranked(ranking) == set(good)
    assert "cut.dng" in _errors(ranking)
    assert any(str(folder / "cut.dng") in str(w.message) and "Unexpected end" in str(w.message) for w in caught)
    assert "Unexpected end of file" not in capfd.readouterr().err
    assert _tree(folder) == before
