"""One analysed photo in a catalog, for the catalog's tests."""

from __future__ import annotations

from pathlib import Path

from ranker.store.catalog import Catalog


def add_photo(catalog: Catalog, name: str = "a.jpg", fp: str = "fp1") -> int:
    return catalog.upsert_photo(fp, 1000.0, "exif", {"make": "X"}, {"sharpness": 1.0}, [(Path(f"/s/{name}"), 10, 20)])
