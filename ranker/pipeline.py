"""The culling pipeline as a generator: scan → features (cached) → group → score → ranked bursts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

import numpy as np

from ranker.active_model import model_key, resolve_model
from ranker.burst_context import model_rows
from ranker.bursts import BurstKind, GroupingOptions, Shot, group_shots
from ranker.catalog import Catalog
from ranker.catalog_rows import PhotoRecord
from ranker.checkpoint import LoadedCheckpoint
from ranker.decisions import Decision
from ranker.engines.base import Analysed, FeatureEngine, Job, Outcome
from ranker.face_context import BLINK_STRICTNESS, FaceVerdict, face_signals, judge_burst
from ranker.features.base import FeatureExtractor
from ranker.features.faces import unpack
from ranker.features.iqa import quality_signals
from ranker.features.registry import feature_version, get_extractor, get_spec
from ranker.images import ImageLoadError, PhotoMetadata, load_photo, printable_path
from ranker.listing import ListedPhoto, list_shoot
from ranker.model_config import MultiFeatureConfig
from ranker.model_info import ModelInfo
from ranker.progress import Progress, Stage, check_cancel
from ranker.quality import DEFAULT_MARGIN, burst_lead, quality_of
from ranker.readback import ReadBack, sync_photos
from ranker.scan import PhotoFiles, fingerprint

if TYPE_CHECKING:
    from PIL import Image

#: Photos decoded and extracted together: bounds memory (decoded images) while batching the backbones.
WINDOW = 32


@dataclass(frozen=True)
class PipelineOptions:
    recursive: bool = False
    grouping: GroupingOptions = GroupingOptions()
    device: str = "auto"
    #: decoding threads: Pillow, libjpeg and libraw release the GIL, so two workers use both cores
    decode_workers: int = min(4, os.cpu_count() or 2)
    #: take decisions other tools wrote: for photos seen the first time, and whenever a sidecar (or a
    #: photo's embedded XMP) changed since it was last read (ranker/readback.py)
    import_sidecars: bool = True
    #: where decoding and extraction run (ranker.engines); None: LocalEngine, this process's thread pool
    engine: FeatureEngine | None = None
    #: how harsh the blink verdict is (face_context.BLINK_STRICTNESS): lenient | normal | strict
    blink_strictness: str = "normal"


@dataclass(frozen=True)
class LoadFailure:
    path: Path
    reason: str


@dataclass(frozen=True)
class RankedPhoto:
    photo_id: int
    paths: tuple[Path, ...]
    rank: int  # 1 = best of its burst
    score: float
    signals: dict[str, float]
    decision: Decision
    metadata: dict[str, Any]  # PhotoMetadata.as_dict()
    capture_ts: float
    #: each face judged against the same person in the rest of the burst, largest first
    faces: tuple[FaceVerdict, ...] = ()
    #: calibrated 0-100 technical quality (ranker.quality), comparable across bursts and shoots
    quality: float | None = None

    @property
    def path(self) -> Path:
        return self.paths[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": printable_path(self.path),
            "files": [printable_path(p) for p in self.paths],
            "rank": self.rank,
            "score": round(self.score, 6),
            "quality": None if self.quality is None else round(self.quality, 1),
            "signals": {k: round(v, 6) for k, v in self.signals.items()},
            "faces": [face.to_json() for face in self.faces],
            "flag": self.decision.flag,
            "rating": self.decision.rating,
            "label": self.decision.label,
            # as another tool named the label ("Rot", "Approved"), and darktable's further colour labels
            "label_name": self.decision.label_name,
            "more_labels": list(self.decision.more_labels),
        }


@dataclass(frozen=True)
class RankedBurst:
    number: int
    kind: BurstKind
    photos: tuple[RankedPhoto, ...]  # best first
    #: how clear the lead of #1 is: "clear pick" | "close call"; None for a single photo
    confidence: str | None = None
    lead: float | None = None  # score of #1 minus #2

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.number,
            "kind": self.kind,
            "confidence": self.confidence,
            "lead": None if self.lead is None else round(self.lead, 4),
            "photos": [p.to_json() for p in self.photos],
        }


@dataclass(frozen=True)
class ShootRanking:
    root: Path
    model: ModelInfo
    bursts: tuple[RankedBurst, ...]
    errors: tuple[LoadFailure, ...] = field(default=())
    stats: dict[str, Any] = field(default_factory=dict)  # ScanStats: counts for the CLI summary, XMP changes
    notices: tuple[str, ...] = ()  # catalog problems met on the way (a damaged decision row), each naming its file

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model.to_json(),
            "bursts": [b.to_json() for b in self.bursts],
            "errors": [{"path": printable_path(e.path), "error": e.reason} for e in self.errors],
        }

    def photo(self, photo_id: int) -> RankedPhoto:
        for burst in self.bursts:
            for photo in burst.photos:
                if photo.photo_id == photo_id:
                    return photo
        raise KeyError(photo_id)


class ScanStats(TypedDict, total=False):
    """What scan_shoot counted and met: photos listed, decoded and taken from the cache, notices to
    show (each naming its file), and, when sidecars are imported, what the XMP read-back changed."""

    photos: int
    decoded: int
    cached: int
    notices: list[str]
    xmp_changes: list[ReadBack]
    xmp_errors: list[tuple[Path, str]]  # (file, why its XMP could not be read)


def shoot_key(root: Path, recursive: bool) -> str:
    return f"{Path(root).resolve()}{' (recursive)' if recursive else ''}"


def _capture(meta: PhotoMetadata | None, mtime_ns: int) -> tuple[float, str]:
    """Seconds since epoch for ordering; EXIF time when present (naive read as UTC, consistently), else
    the file's mtime as listed (never stat'ed again: the file may be gone by now)."""
    if meta is not None and meta.capture_time is not None:
        when = meta.capture_time
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return when.timestamp(), "exif"
    return mtime_ns / 1e9, "file"


def _decode_state(listed: ListedPhoto) -> tuple[Path, int, int]:
    return next(row for row in listed.states if row[0] == listed.files.decode_path)


@dataclass
class _Pending:
    listed: ListedPhoto
    fingerprint: str
    missing: list[str]  # extractors without cached features

    @property
    def decode_path(self) -> Path:
        return self.listed.files.decode_path


def _decode(
    pending: Job, max_size: int, per_photo: Sequence[FeatureExtractor]
) -> tuple[tuple[Image.Image, PhotoMetadata, dict[str, np.ndarray]] | None, str | None]:
    """Runs in the decode pool: decoding, the hand-crafted signals and every per-photo extractor (numpy,
    scipy, Pillow and LiteRT release the GIL) use every core. The signals are cached on the image, so
    the extractors that read them reuse them."""
    try:
        image, meta = load_photo(pending.decode_path, max_size=max_size)
    except ImageLoadError as exc:
        return None, exc.reason
    quality_signals(image)
    vectors = {e.name: e.extract([image])[0] for e in per_photo if e.name in pending.missing}
    return (image, meta, vectors), None


class LocalEngine:
    """This process: a window of photos decoded and analysed in the thread pool (per-photo extractors
    included), then the batched extractors (backbones) on the window."""

    def __init__(self, decode_workers: int):
        self.decode_workers = decode_workers

    def analyse(
        self,
        jobs: Iterable[Job],
        extractors: Sequence[FeatureExtractor],
        decode_size: int,
    ) -> Generator[list[tuple[Job, Outcome]], None, None]:
        jobs = iter(jobs)
        per_photo = [e for e in extractors if e.per_photo]
        batched = [e for e in extractors if not e.per_photo]
        # Listed a window at a time, after the previous one is written: a copy of a photo in a later
        # window is then found in the cache instead of being decoded again.
        while window := list(islice(jobs, WINDOW)):
            with ThreadPoolExecutor(max_workers=self.decode_workers) as pool:
                decoded = list(pool.map(lambda p: _decode(p, decode_size, per_photo), window))
            # _decode gives a result exactly when it gives no failure
            ready = [
                (item, *cast("tuple[Image.Image, PhotoMetadata, dict[str, np.ndarray]]", result))
                for item, (result, failure) in zip(window, decoded)
                if failure is None
            ]
            images = [image for _, image, _, _ in ready]
            vectors: dict[str, dict[int, np.ndarray]] = {}
            for extractor in batched:
                need = [i for i, (item, _, _, _) in enumerate(ready) if extractor.name in item.missing]
                if need:
                    vectors[extractor.name] = dict(zip(need, extractor.extract([images[i] for i in need])))
            outcomes = {
                id(item): Analysed(
                    meta,
                    quality_signals(image),
                    {**local, **{name: found[i] for name, found in vectors.items() if i in found}},
                )
                for i, (item, image, meta, local) in enumerate(ready)
            }
            # a job without an outcome is one that failed to decode: it has its failure
            yield [(item, outcomes.get(id(item)) or cast(str, failure)) for item, (_, failure) in zip(window, decoded)]

    def close(self) -> None:
        pass


def _sidecar_decision(photo: PhotoFiles) -> tuple[Decision | None, list[str]]:
    """The decision other tools recorded for the photo, and why any sidecar of it could not be read."""
    from ranker.xmp import XmpError, read_decision

    problems = []
    for path in photo.paths:
        if not path.is_file():  # a FIFO twin would block the plain open() of the XMP reader
            continue
        try:
            decision = read_decision(path)
        except (XmpError, OSError) as exc:
            problems.append(
                f"{printable_path(path)}: its XMP sidecar could not be read ({exc}); ratings in it were not imported"
            )
            continue
        if decision is not None and not decision.is_empty:
            return decision, problems
    return None, problems


def _import_sidecars(catalog: Catalog, listed: ListedPhoto) -> list[str]:
    """Ratings, labels and rejects other tools wrote, taken once per photo, unless the user decided first.
    Marked done only after the decision is committed, so a kill in between retries on the next run."""
    problems: list[str] = []
    if not catalog.has_decision(listed.photo_id):
        decision, problems = _sidecar_decision(listed.files)
        if decision is not None:
            catalog.set_decision(listed.photo_id, decision, source="xmp")
    catalog.mark_sidecars_read(listed.photo_id)
    return problems


def scan_shoot(
    root: Path,
    catalog: Catalog,
    extractor_names: Sequence[str],
    options: PipelineOptions,
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, tuple[list[int], list[LoadFailure], ScanStats]]:
    """Bring the catalog up to date for `root`: decode only new or changed photos, extract only
    missing features. Yields Progress(Stage.LIST, item=ShootListing) as soon as the folder is listed
    (every photo already has its id), then Progress(Stage.SCAN); returns (photo ids, failures, stats)."""
    listing = list_shoot(root, catalog, options.recursive)
    total = len(listing.photos)
    yield Progress(Stage.LIST, total, total, f"{total} photos found", item=listing)
    # specs, not extractors: a fully cached shoot never imports a backbone's module (nor torch)
    specs = [get_spec(name) for name in extractor_names]
    versions = {spec.name: (spec.feature_version(), spec.dim) for spec in specs}
    ids: list[int] = []
    failures: list[LoadFailure] = []
    stats: ScanStats = {"photos": total, "decoded": 0, "cached": 0, "notices": []}
    to_sync: list[tuple[int, tuple[Path, ...]]] = []  # every photo's XMP is checked for outside changes
    yield Progress(Stage.SCAN, 0, total, f"{total} photos found")

    def write(batch: list[tuple[Job, Outcome]], extractors: Sequence[FeatureExtractor]) -> Progress:
        """The one writer: a batch of results from the engine in one transaction."""
        with catalog.batch():
            for job, outcome in batch:
                item = cast(_Pending, job)  # an engine hands back the jobs it was given: ours are _Pending
                listed = item.listed
                if not isinstance(outcome, Analysed):
                    failures.append(LoadFailure(listed.files.primary, outcome))
                    continue
                meta = outcome.meta
                capture_ts, source = _capture(meta, _decode_state(listed)[2])
                catalog.record_analysis(
                    listed.photo_id,
                    item.fingerprint,
                    capture_ts,
                    source,
                    meta.as_dict(),
                    outcome.signals,
                    listed.states,
                )
                catalog.put_features(
                    (item.fingerprint, e.name, e.version, outcome.vectors[e.name])
                    for e in extractors
                    if e.name in item.missing
                )
                ids.append(listed.photo_id)
                to_sync.append((listed.photo_id, listed.files.paths))
                stats["decoded"] += 1
                if meta.damage:
                    stats["notices"].append(f"{printable_path(listed.path)}: {meta.damage}")
        return Progress(Stage.SCAN, len(ids) + len(failures), total, f"analysed {stats['decoded']} photos")

    def jobs() -> Iterator[_Pending]:
        """The photos to analyse, in listing order (cached ones are taken on the way)."""
        for listed in listing.photos:
            check_cancel(cancel)
            if listed.error:
                failures.append(LoadFailure(listed.path, listed.error))
                continue
            record = catalog.photo(listed.photo_id)
            current = record.fingerprint is not None and catalog.file_states(listed.photo_id) == {
                path: (size, mtime_ns) for path, size, mtime_ns in listed.states
            }
            try:  # first: it refuses what is not a regular file (a FIFO) before anything else opens it
                # current: the photo was analysed, so it has its fingerprint
                fp = cast(str, record.fingerprint) if current else fingerprint(listed.files.primary)
            except OSError as exc:
                failures.append(LoadFailure(listed.path, exc.strerror or str(exc)))
                continue
            if options.import_sidecars and not record.sidecars_read:
                stats["notices"] += _import_sidecars(catalog, listed)
            if not current:
                catalog.adopt(listed.photo_id, fp, listing.in_scope)
            missing = [
                name
                for name, (version, dim) in versions.items()
                if catalog.get_features(fp, name, version, dim) is None
            ]
            if not missing:
                known = record if current else catalog.analysed_like(fp)
                if known is not None:
                    if not current:  # same content seen before (moved, touched, or a copy elsewhere): reuse
                        capture = (
                            (known.capture_ts, "exif")
                            if known.time_source == "exif"
                            else _capture(None, _decode_state(listed)[2])
                        )
                        catalog.record_analysis(
                            listed.photo_id, fp, *capture, known.metadata, known.signals, listed.states
                        )
                    ids.append(listed.photo_id)
                    to_sync.append((listed.photo_id, listed.files.paths))
                    stats["cached"] += 1
                    if known.metadata.get("damage"):
                        stats["notices"].append(f"{printable_path(listed.path)}: {known.metadata['damage']}")
                    continue
            yield _Pending(listed, fp, missing)

    todo = jobs()
    first = next(todo, None)
    if first is not None:  # extractors only when a photo needs decoding: a cached shoot never imports torch
        extractors = [get_extractor(spec.name, options.device) for spec in specs]
        decode_size = max(e.decode_size for e in extractors)
        engine = options.engine or LocalEngine(options.decode_workers)
        # closing(): on cancel or an error the engine stops at once (a cluster job ends), not when collected
        with closing(engine.analyse(chain([first], todo), extractors, decode_size)) as batches:
            for batch in batches:
                yield write(batch, extractors)
                check_cancel(cancel)
    if options.import_sidecars:  # decisions are committed one by one, never batched
        changes, xmp_errors = sync_photos(catalog, to_sync)
        stats["xmp_changes"] = changes
        stats["xmp_errors"] = xmp_errors
    yield Progress(Stage.SCAN, total, total, f"{stats['decoded']} analysed, {stats['cached']} from cache")
    return ids, failures, stats


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
) -> dict[int, float]:
    """Scores from the cache, computing (and storing) only those this model has not scored yet.

    A model with burst context scores a photo against its burst (`bursts`, lists of photo ids, or the
    stored grouping), so its scores change whenever the grouping does: they are computed afresh every
    time (a few milliseconds from cached features) and never cached."""
    config = checkpoint.config
    contextual = bool(config.context_layout)
    scores = {} if contextual else catalog.scores(key, photo_ids)
    todo = [pid for pid in photo_ids if pid not in scores]
    if todo:
        values = checkpoint.score(photo_inputs(catalog, todo, config, bursts))  # NumPy: no torch to import
        fresh = {pid: float(v) for pid, v in zip(todo, values)}
        if not contextual:
            catalog.put_scores(key, fresh)
        scores.update(fresh)
    return scores


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
    scores = score_photos(
        catalog,
        checkpoint,
        key,
        list(records),
        [[pid for pid in members if pid in records] for _, _, members in grouping],
    )
    decisions = catalog.decisions(records)
    faces = _face_verdicts(catalog, records, grouping, BLINK_STRICTNESS[options.blink_strictness])
    calibration = checkpoint.info.get("quality_calibration")
    margin = float(checkpoint.training_config.get("margin", DEFAULT_MARGIN))
    bursts = []
    for number, kind, members in grouping:
        members = [pid for pid in members if pid in records]
        ordered = sorted(members, key=lambda pid: (-scores[pid], records[pid].capture_ts))
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


def rank_shoot(
    root: Path | str,
    catalog: Catalog,
    *,
    model_path: Path | str | None = None,
    options: PipelineOptions = PipelineOptions(),
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, ShootRanking]:
    """The whole job for one folder. Yields Progress; returns the ShootRanking (also the last Progress.item)."""
    root = Path(root)
    checkpoint, why = resolve_model(model_path)
    # faces for every model: the verdicts (eyes closed, face soft) explain any ranking to the user
    names = list(dict.fromkeys([*checkpoint.config.extractor_names, "descriptor", "faces"]))
    seen = len(catalog.notices)
    photo_ids, failures, stats = yield from scan_shoot(root, catalog, names, options, cancel)
    check_cancel(cancel)
    yield Progress(Stage.RANK, 0, 1, "grouping and scoring")
    ranking = assemble(root, catalog, checkpoint, why, photo_ids, failures, options, stats)
    ranking = dataclasses.replace(ranking, notices=(*stats["notices"], *catalog.notices[seen:]))
    yield Progress(Stage.RANK, 1, 1, f"{len(ranking.bursts)} bursts ranked", item=ranking)
    return ranking


_Result = TypeVar("_Result")


def run(
    generator: Generator[Progress, None, _Result], on_progress: Callable[[Progress], object] | None = None
) -> _Result:
    """Drive a pipeline generator to the end (for the CLI and tests) and return its result."""
    while True:
        try:
            progress = next(generator)
        except StopIteration as stop:
            return cast(_Result, stop.value)  # the StopIteration of a Generator[..., _Result] carries its _Result
        if on_progress is not None:
            on_progress(progress)
