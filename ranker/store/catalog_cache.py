"""The catalog's recomputable analysis results: feature vectors by content, model scores by photo."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ranker.store.catalog_db import CatalogDb


def get_features(
    db: CatalogDb, fingerprint: str, extractor: str, version: str, dim: int | None = None
) -> np.ndarray | None:
    """The cached vector, or None. A damaged row (not float32 bytes, the wrong length, NaN) is a
    cache miss: it is dropped, and the scan recomputes it."""
    rows = db.read(
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
        with db.write() as conn:
            conn.execute(
                "DELETE FROM features WHERE fingerprint=? AND extractor=? AND version=?",
                (fingerprint, extractor, version),
            )
    return vector


def put_features(db: CatalogDb, items: Iterable[tuple[str, str, str, np.ndarray]]) -> None:
    """Store (fingerprint, extractor, version, vector) rows in one transaction."""
    rows = [(fp, ex, ver, np.asarray(vec, dtype=np.float32).tobytes()) for fp, ex, ver, vec in items]
    with db.write() as conn:
        conn.executemany("INSERT OR REPLACE INTO features VALUES (?,?,?,?)", rows)


def put_scores(db: CatalogDb, model: str, scores: dict[int, float]) -> None:
    with db.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO scores VALUES (?,?,?)", [(pid, model, float(s)) for pid, s in scores.items()]
        )


def scores(db: CatalogDb, model: str, photo_ids: Iterable[int]) -> dict[int, float]:
    ids = list(photo_ids)
    result: dict[int, float] = {}
    for start in range(0, len(ids), 500):  # SQLite caps the number of bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        result.update(
            db.read(f"SELECT photo_id, score FROM scores WHERE model = ? AND photo_id IN ({marks})", [model, *chunk])
        )
    return result
