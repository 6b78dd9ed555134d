"""Catalog photos: ids from listing, renames and moves keep a photo, odd file names are found again."""

import os
from pathlib import Path

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from tests.ranker.catalog_photo import add_photo as _photo


def test_same_content_under_new_path_keeps_its_id(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        pid = _photo(catalog, "a.jpg", "same")
        again = catalog.upsert_photo("same", 1000.0, "exif", {}, {}, [(Path("/s/moved.jpg"), 10, 20)])
        assert again == pid
        assert catalog.photo(pid).path == Path("/s/moved.jpg")
        assert catalog.known_file(Path("/s/a.jpg")) is None


def test_a_vanished_photo_of_another_folder_is_still_never_matched_by_content(tmp_path):
    """Only photos without any known folder are matched by content: issue 14's folders stay apart."""
    with Catalog(tmp_path / "c.db") as catalog:
        pid = catalog.upsert_photo("fp", 1.0, "exif", {}, {}, [(Path("/card/a.jpg"), 1, 2)])
        catalog.set_decision(pid, Decision("pick"))
        catalog.forget_files([Path("/card/a.jpg")])
        other = catalog.upsert_photo("fp", 1.0, "exif", {}, {}, [(Path("/backup/a.jpg"), 1, 3)])
        assert other != pid and catalog.decision(other) == Decision()


def test_photos_get_ids_at_listing_and_a_rename_in_the_folder_keeps_its_id(tmp_path):
    def inside(path):
        return path.parent == Path("/s")

    with Catalog(tmp_path / "c.db") as catalog:
        a, b = catalog.identify([[(Path("/s/a.jpg"), 10, 20)], [(Path("/s/b.jpg"), 11, 20)]], inside)
        assert a != b and catalog.photo(a).fingerprint is None
        catalog.set_decision(a, Decision(rating=3))  # before any analysis
        catalog.forget_files([Path("/s/a.jpg")])
        again = catalog.identify([[(Path("/s/renamed.jpg"), 10, 20)], [(Path("/t/a.jpg"), 10, 20)]], inside)
        assert again[0] == a and again[1] not in (a, b)
        assert catalog.decision(again[1]) == Decision()


def test_surrogate_file_names_are_stored_and_found_again(tmp_path):
    name = Path(os.fsdecode(b"/s/bad\xff.jpg"))
    with Catalog(tmp_path / "c.db") as catalog:
        pid = catalog.upsert_photo("fp", 1.0, "exif", {}, {}, [(name, 1, 2)])
        assert catalog.photo_for_path(name) == pid and catalog.photo(pid).paths == (name,)
        assert catalog.files_under(Path("/s")) == [name]
