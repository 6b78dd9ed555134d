"""A model's input rows from the cached features, and its scores of photos (cached unless burst-contextual)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np

from ranker.features.registry import feature_version
from ranker.ml.burst_context import model_rows
from ranker.ml.checkpoint import LoadedCheckpoint
from ranker.ml.model_config import MultiFeatureConfig
from ranker.store.catalog import Catalog


def feature_matrix(catalog: Catalog, fingerprints: Sequence[str], layout: Sequence[tuple[str, int]]) -> np.ndarray:
    """Concatenate cached features in the model's input order; every vector must be cached."""
    versions = {name: feature_version(name) for name, _ in layout}
    rows = []
    for fp in fingerprints:
        parts = []
        for name, dim in layout:
            vector = catalog.get_features(fp, name, versions[name], dim)
            if vector is None or vector.shape != (dim,):
                raise LookupError(f"features {name} missing for photo {fp}")
            parts.append(vector)
        rows.append(np.concatenate(parts))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), sum(d for _, d in layout))


def model_inputs(
    catalog: Catalog, fingerprints: Sequence[str], config: MultiFeatureConfig, bursts: Iterable[Sequence[int]] = ()
) -> np.ndarray:
    """The model's input rows: cached features in input order, then, for models with burst context,
    each photo's deviation from its burst (`bursts`: lists of row indices into `fingerprints`)."""
    return model_rows(config, lambda layout: feature_matrix(catalog, fingerprints, layout), bursts)


def photo_inputs(
    catalog: Catalog,
    photo_ids: Sequence[int],
    config: MultiFeatureConfig,
    bursts: Iterable[Sequence[int]] | None = None,
) -> np.ndarray:
    """Model input rows for these photos (in order). With burst context each photo is set against its
    burst: `bursts` (lists of photo ids) when given, else the grouping stored in the catalog; burst
    members outside `photo_ids` count toward the median too."""
    ids = list(photo_ids)
    groups: list[list[int]] = []
    if config.context_layout:
        wanted = set(ids)
        found = catalog.burst_mates(ids) if bursts is None else bursts
        groups = [list(g) for g in found if wanted.intersection(g)]
    every = list(dict.fromkeys([*ids, *(pid for group in groups for pid in group)]))
    row = {pid: i for i, pid in enumerate(every)}
    # photos with cached features were analysed: each has its fingerprint
    fingerprints = [cast(str, catalog.photo(pid).fingerprint) for pid in every]
    inputs = model_inputs(catalog, fingerprints, config, [[row[pid] for pid in group] for group in groups])
    return inputs[: len(ids)]


def score_photos(
    catalog: Catalog,
    checkpoint: LoadedCheckpoint,
    key: str,
    photo_ids: Sequence[int],
    bursts: Iterable[Sequence[int]] | None = None,
    inputs: np.ndarray | None = None,
) -> dict[int, float]:
    """Scores from the cache, computing (and storing) only those this model has not scored yet.

    A model with burst context scores a photo against its burst (`bursts`, lists of photo ids, or the
    stored grouping), so its scores change whenever the grouping does: they are computed afresh every
    time (a few milliseconds from cached features) and never cached. `inputs`: photo_inputs' rows of
    `photo_ids` when the caller has them already."""
    config = checkpoint.config
    contextual = bool(config.context_layout)
    scores = {} if contextual else catalog.scores(key, photo_ids)
    todo = [pid for pid in photo_ids if pid not in scores]
    if todo:
        if inputs is None:
            rows = photo_inputs(catalog, todo, config, bursts)
        else:
            index = {pid: i for i, pid in enumerate(photo_ids)}
            rows = inputs[[index[pid] for pid in todo]]
        values = checkpoint.score(rows)  # NumPy: no torch to import
        fresh = {pid: float(v) for pid, v in zip(todo, values)}
        if not contextual:
            catalog.put_scores(key, fresh)
        scores.update(fresh)
    return scores
