"""The culling pipeline as a generator: scan → features (cached) → group → score → ranked bursts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TypedDict, TypeVar, cast

from ranker.bursts import GroupingOptions
from ranker.culling.ranking_assembly import assemble
from ranker.culling.shoot_ranking import LoadFailure, ShootRanking
from ranker.culling.sidecar_import import import_sidecars
from ranker.engines.base import Analysed, FeatureEngine, Job, Outcome
from ranker.engines.local_engine import LocalEngine
from ranker.features.base import FeatureExtractor
from ranker.features.registry import get_extractor, get_spec
from ranker.io.load_errors import printable_path
from ranker.io.photo_metadata import PhotoMetadata
from ranker.io.scan import fingerprint
from ranker.ml.active_model import resolve_model
from ranker.progress import Progress, Stage, check_cancel
from ranker.store.catalog import Catalog
from ranker.store.catalog_rows import PhotoRecord
from ranker.store.listing import ListedPhoto, list_shoot
from ranker.store.readback import FolderListing, ReadBack, sync_photos


@dataclass(frozen=True)
class PipelineOptions:
    recursive: bool = False
    grouping: GroupingOptions = GroupingOptions()
    device: str = "auto"
    #: decoding threads: Pillow, libjpeg and libraw release the GIL, so two workers use both cores
    decode_workers: int = min(4, os.cpu_count() or 2)
    #: take decisions other tools wrote: for photos seen the first time, and whenever a sidecar (or a
    #: photo's embedded XMP) changed since it was last read (ranker/store/readback.py)
    import_sidecars: bool = True
    #: where decoding and extraction run (ranker.engines); None: LocalEngine, this process's thread pool
    engine: FeatureEngine | None = None
    #: how harsh the blink verdict is (face_context.BLINK_STRICTNESS): lenient | normal | strict
    blink_strictness: str = "normal"


class ScanStats(TypedDict, total=False):
    """What scan_shoot counted and met: photos listed, decoded and taken from the cache, notices to
    show (each naming its file), and, when sidecars are imported, what the XMP read-back changed."""

    photos: int
    decoded: int
    cached: int
    notices: list[str]
    xmp_changes: list[ReadBack]
    xmp_errors: list[tuple[Path, str]]  # (file, why its XMP could not be read)


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
    # Every photo's XMP is checked for outside changes once its record is written: an analysed batch's
    # right after it (while the engine analyses the next), the cached photos' at the end.
    to_sync: list[tuple[int, tuple[Path, ...]]] = []
    sidecars = FolderListing()
    if options.import_sidecars:
        stats["xmp_changes"], stats["xmp_errors"] = [], []

    def sync(photos: list[tuple[int, tuple[Path, ...]]]) -> None:
        if options.import_sidecars:  # decisions are committed one by one, never batched
            changes, xmp_errors = sync_photos(catalog, photos, sidecars)
            stats["xmp_changes"] += changes
            stats["xmp_errors"] += xmp_errors

    yield Progress(Stage.SCAN, 0, total, f"{total} photos found")

    def write(batch: list[tuple[Job, Outcome]], extractors: Sequence[FeatureExtractor]) -> Progress:
        """The one writer: a batch of results from the engine in one transaction, then their XMP."""
        analysed: list[tuple[int, tuple[Path, ...]]] = []
        with catalog.batch():
            for job, outcome in batch:
                item = cast(_Pending, job)  # an engine hands back the jobs it was given: ours are _Pending
                in_flight.discard(item.fingerprint)
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
                analysed.append((listed.photo_id, listed.files.paths))
                stats["decoded"] += 1
                if meta.damage:
                    stats["notices"].append(f"{printable_path(listed.path)}: {meta.damage}")
        sync(analysed)
        return Progress(Stage.SCAN, len(ids) + len(failures), total, f"analysed {stats['decoded']} photos")

    # The engine lists the next photos while earlier ones are still being analysed: a copy of a photo
    # in flight waits here until the original's features are written, then comes from the cache.
    in_flight: set[str] = set()
    copies: list[tuple[ListedPhoto, str, PhotoRecord, bool]] = []

    def resolve(listed: ListedPhoto, fp: str, record: PhotoRecord, current: bool) -> _Pending | None:
        """The photo taken from the cache (None) or the job that analyses what it misses."""
        missing = [
            name for name, (version, dim) in versions.items() if catalog.get_features(fp, name, version, dim) is None
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
                    catalog.record_analysis(listed.photo_id, fp, *capture, known.metadata, known.signals, listed.states)
                ids.append(listed.photo_id)
                to_sync.append((listed.photo_id, listed.files.paths))
                stats["cached"] += 1
                if known.metadata.get("damage"):
                    stats["notices"].append(f"{printable_path(listed.path)}: {known.metadata['damage']}")
                return None
        in_flight.add(fp)
        return _Pending(listed, fp, missing)

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
                stats["notices"] += import_sidecars(catalog, listed)
            if not current:
                catalog.adopt(listed.photo_id, fp, listing.in_scope)
            if fp in in_flight:
                copies.append((listed, fp, record, current))
            elif (job := resolve(listed, fp, record, current)) is not None:
                yield job

    def analyse(todo: Iterator[_Pending]) -> Generator[Progress, None, None]:
        first = next(todo, None)
        if first is None:  # extractors only when a photo needs decoding: a cached shoot never imports torch
            return
        extractors = [get_extractor(spec.name, options.device) for spec in specs]
        decode_size = max(e.decode_size for e in extractors)
        engine = options.engine or LocalEngine(options.decode_workers)
        # closing(): on cancel or an error the engine stops at once (a cluster job ends), not when collected
        with closing(engine.analyse(chain([first], todo), extractors, decode_size)) as batches:
            for batch in batches:
                yield write(batch, extractors)
                check_cancel(cancel)

    yield from analyse(jobs())
    # the copies, their originals written: from the cache (or analysed, if an original failed)
    waiting, copies[:] = list(copies), []
    yield from analyse(job for item in waiting if (job := resolve(*item)) is not None)
    sync(to_sync)
    yield Progress(Stage.SCAN, total, total, f"{stats['decoded']} analysed, {stats['cached']} from cache")
    return ids, failures, stats


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
