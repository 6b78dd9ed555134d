"""A shoot's ranking assembled from the catalog: bursts grouped (or reused), scored, ordered best first."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from ranker.bursts import Shot, group_shots
from ranker.culling.scoring import photo_inputs, score_photos
from ranker.culling.shoot_ranking import LoadFailure, RankedBurst, RankedPhoto, ShootRanking
from ranker.features.face_context import BLINK_STRICTNESS, FaceVerdict, face_signals, judge_burst
from ranker.features.faces import unpack
from ranker.features.registry import feature_version, get_extractor
from ranker.ml.active_model import model_key
from ranker.ml.attribution import group_effects
from ranker.ml.checkpoint import LoadedCheckpoint
from ranker.ml.model_info import ModelInfo
from ranker.ml.quality import DEFAULT_MARGIN, Calibration, burst_lead, quality_of
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import PhotoRecord

if TYPE_CHECKING:
    # annotations only: the pipeline calls assemble, so importing it at run time would be circular
    from ranker.culling.pipeline import PipelineOptions, ScanStats


def shoot_key(root: Path, recursive: bool) -> str:
    """The catalog's name for a shoot's bursts: the resolved folder, marked when sub-folders are included."""
    return f"{Path(root).resolve()}{' (recursive)' if recursive else ''}"


def _grouping_vectors(catalog: Catalog, records: Collection[PhotoRecord]) -> dict[int, np.ndarray]:
    """CLIP embeddings when every photo has one (they know scenes), else the cheap descriptor."""
    for name in ("clip", "descriptor"):
        version = feature_version(name)
        # scanned photos were analysed: each has its fingerprint
        vectors = {r.id: catalog.get_features(cast(str, r.fingerprint), name, version) for r in records}
        if all(v is not None for v in vectors.values()):
            return cast("dict[int, np.ndarray]", vectors)  # none is None (checked just above)
    raise LookupError("no appearance vectors cached for grouping")


def _face_verdicts(
    catalog: Catalog,
    records: dict[int, PhotoRecord],
    grouping: Sequence[tuple[int, str, list[int]]],
    blink_ratio: float,
) -> dict[int, list[FaceVerdict]]:
    """Each photo's faces judged within its burst; photos analysed without faces are left out."""
    version = get_extractor("faces").version
    # scanned photos were analysed: each has its fingerprint
    vectors = {pid: catalog.get_features(cast(str, r.fingerprint), "faces", version) for pid, r in records.items()}
    verdicts: dict[int, list[FaceVerdict]] = {}
    for _, _, members in grouping:
        members = [pid for pid in members if vectors.get(pid) is not None]
        # members keeps only the photos whose vector is not None
        for pid, row in zip(
            members, judge_burst([unpack(cast(np.ndarray, vectors[pid])) for pid in members], blink_ratio)
        ):
            verdicts[pid] = row
    return verdicts


def _effects(
    checkpoint: LoadedCheckpoint,
    ids: Sequence[int],
    inputs: np.ndarray,
    orders: Sequence[Sequence[int]],
    calibration: Calibration | None,
) -> dict[int, dict[str, float]]:
    """Each ranked photo's input-group effects on its quality against the frame it is compared with:
    #2 for the burst's #1, #1 for the rest (what the info panel explains); none for a photo alone.
    `inputs`: the model's rows of `ids`; `orders`: each burst's ids, best first."""
    row = {pid: i for i, pid in enumerate(ids)}
    references: list[int | None] = [None] * len(ids)
    for ordered in orders:
        if len(ordered) > 1:
            for rank, pid in enumerate(ordered):
                references[row[pid]] = row[ordered[1] if rank == 0 else ordered[0]]
    return dict(zip(ids, group_effects(checkpoint.score, checkpoint.config, inputs, references, calibration)))


def assemble(
    root: Path,
    catalog: Catalog,
    checkpoint: LoadedCheckpoint,
    why: str,
    photo_ids: Sequence[int],
    failures: Sequence[LoadFailure],
    options: PipelineOptions,
    stats: ScanStats | None = None,
    regroup: bool = True,
) -> ShootRanking:
    """Group (or reuse the stored grouping), score, and order each burst best first."""
    key = model_key(checkpoint.path)
    shoot = shoot_key(root, options.recursive)
    records = {r.id: r for r in catalog.photos(sorted(set(photo_ids)))}
    if regroup or not catalog.bursts(shoot):
        vectors = _grouping_vectors(catalog, records.values())
        shots = [
            Shot(r.id, r.capture_ts, vectors[r.id], r.metadata.get("exposure_bias"), r.time_source == "exif")
            for r in records.values()
        ]
        groups = group_shots(shots, options.grouping)
        catalog.replace_bursts(shoot, [(g.kind, list(g.keys)) for g in groups])
    grouping = catalog.bursts(shoot)
    burst_ids = [[pid for pid in members if pid in records] for _, _, members in grouping]
    ids = [pid for members in burst_ids for pid in members]
    # one read of the cached features serves the scores and what each input group weighed
    inputs = photo_inputs(catalog, ids, checkpoint.config, burst_ids)
    scores = score_photos(catalog, checkpoint, key, ids, burst_ids, inputs)
    decisions = catalog.decisions(records)
    faces = _face_verdicts(catalog, records, grouping, BLINK_STRICTNESS[options.blink_strictness])
    calibration = checkpoint.info.get("quality_calibration")
    margin = float(checkpoint.training_config.get("margin", DEFAULT_MARGIN))
    orders = [sorted(members, key=lambda pid: (-scores[pid], records[pid].capture_ts)) for members in burst_ids]
    effects = _effects(checkpoint, ids, inputs, orders, calibration)
    bursts = []
    for (number, kind, _), ordered in zip(grouping, orders):
        photos = tuple(
            RankedPhoto(
                pid,
                records[pid].paths,
                rank,
                scores[pid],
                {**records[pid].signals, **face_signals(faces.get(pid))},
                decisions[pid],
                records[pid].metadata,
                records[pid].capture_ts,
                tuple(faces.get(pid) or ()),
                quality_of(scores[pid], calibration),
                effects.get(pid, {}),
            )
            for rank, pid in enumerate(ordered, start=1)
        )
        if photos:
            lead = burst_lead([p.score for p in photos], margin)
            bursts.append(
                RankedBurst(number, kind, photos, lead.label if lead else None, lead.margin if lead else None)
            )
    model = ModelInfo(
        label=checkpoint.label,
        path=str(checkpoint.path),
        why=why,
        key=key,
        features=tuple(checkpoint.feature_labels),
        architecture=checkpoint.metadata.get("architecture_summary"),
    )
    return ShootRanking(Path(root), model, tuple(bursts), tuple(failures), dict(stats or {}))
