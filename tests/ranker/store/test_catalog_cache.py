"""Catalog analysis cache: feature vectors round-trip by content fingerprint, extractor and version."""

import numpy as np

from ranker.store.catalog import Catalog
from tests.ranker.catalog_photo import add_photo as _photo


def test_features_cache_round_trip(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        _photo(catalog, "a.jpg", "fa")
        vector = np.arange(5, dtype=np.float32)
        catalog.put_features([("fa", "iqa", "1", vector)])
        assert np.array_equal(catalog.get_features("fa", "iqa", "1"), vector)
        assert catalog.get_features("fa", "iqa", "2") is None
