"""Features of the PhotoTriage release's photos, through the ranking pipeline's cache, and the pair sets over them."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ranker.datasets.phototriage import SplitPairs, series_of

if TYPE_CHECKING:
    from ranker.ml.model_config import MultiFeatureConfig
    from ranker.ml.training import PairSet
    from ranker.progress import Progress
    from ranker.store.catalog import Catalog

#: The default feature cache. Dataset features live in their own catalog in the user's cache folder:
#: - not in the training output folder, because every experiment (another --mlp_hidden_dims, seed, ...)
#:   writes a new one, and re-decoding ~15k photos through CLIP and ResNet for each would cost an hour;
#: - not in the user's photo catalog, which would otherwise list ~15k strangers' photos among the user's
#:   own (the GUI's library, decisions, choices); this file is pure cache and safe to delete.
#: It is an ordinary ranker.store.catalog.Catalog filled by the ranking pipeline, so the features are computed
#: exactly as `rank` computes them.
FEATURE_CACHE_NAME = "phototriage_dataset_features.db"


def default_feature_cache() -> Path:
    from ranker.paths import cache_dir

    return cache_dir() / FEATURE_CACHE_NAME


def require_extractors(names: list[str], device: str) -> None:
    """Every extractor's weights, checked offline before anything is read or decoded."""
    from ranker.features.registry import get_extractor
    from ranker.features.weights import ModelMissingError

    problems = []
    for name in names:
        try:
            get_extractor(name, device).check_available()
        except ModelMissingError as exc:
            problems.append(str(exc))
    if problems:
        raise ModelMissingError(
            "cannot train: weights are missing for the requested features (nothing was "
            "decoded):\n  " + "\n  ".join(problems)
        )


def _scan_folder(image_dir: Path, names: set[str], staged: bool, tmp: Path) -> tuple[Path, str | None]:
    """The folder to scan: the image folder itself, or (quick experiments) a folder of links to just
    the drawn photos, so that a 5% run decodes 5% of the release. Returns (folder, note)."""
    if not staged:
        return image_dir, None
    folder = Path(tempfile.mkdtemp(prefix="links-", dir=tmp))
    try:
        for name in sorted(names):
            os.symlink((image_dir / name).resolve(), folder / name)
    except OSError as exc:  # no symlinks here (e.g. Windows without developer mode): scan everything
        return image_dir, (
            f"note: cannot link the drawn photos ({exc.strerror or exc}); analysing all of {image_dir} instead"
        )
    return folder, None


def extract_features(
    splits: dict[str, SplitPairs],
    config: MultiFeatureConfig,
    catalog: Catalog,
    device: str,
    staged: bool,
    on_progress: Callable[[Progress], object] | None = None,
    on_note: Callable[[str], object] | None = None,
) -> tuple[dict[tuple[Path, str], str], dict[str, Any]]:
    """Features for every photo the pairs use, through the ranking pipeline and its cache.

    Returns ({(image_dir, name): fingerprint}, stats). Pairs naming photos that failed to decode are
    dropped from their split and counted there. `on_note` hears what the caller should tell the user
    before a folder is scanned; `on_progress` follows each folder's scan.
    """
    from ranker.culling.pipeline import PipelineOptions, run, scan_shoot
    from ranker.io.scan import fingerprint

    by_dir: dict[Path, set[str]] = {}
    for split in splits.values():
        by_dir.setdefault(split.image_dir, set()).update(split.images)
    fingerprints: dict[tuple[Path, str], str] = {}
    stats = {
        "images": sum(len(n) for n in by_dir.values()),
        "decoded": 0,
        "cached": 0,
        "unreadable": 0,
        "other_files_unreadable": 0,
        "seconds": 0.0,
    }
    started = time.perf_counter()
    options = PipelineOptions(device=device, import_sidecars=False)
    with tempfile.TemporaryDirectory(prefix="phototriage-train-") as tmp:
        for image_dir, names in by_dir.items():
            if not names:
                continue
            folder, note = _scan_folder(image_dir, names, staged, Path(tmp))
            if note and on_note is not None:
                on_note(note)
            _, failures, scan_stats = run(scan_shoot(folder, catalog, config.extractor_names, options), on_progress)
            stats["decoded"] += scan_stats["decoded"]
            stats["cached"] += scan_stats["cached"]
            reasons = {f.path.name: f.reason for f in failures if f.path.parent == folder}
            unreadable = {name: reasons[name] for name in names if name in reasons}
            stats["other_files_unreadable"] += len(failures) - len(unreadable)
            for name in names:
                if name in unreadable:
                    continue
                path = folder / name
                known = catalog.known_file(path)
                analysed = catalog.photo(known[0]).fingerprint if known is not None else None
                if analysed is not None:
                    fingerprints[(image_dir, name)] = analysed
                elif path.is_file():  # a byte-identical copy of another photo: the catalog keeps one path
                    fingerprints[(image_dir, name)] = fingerprint(path)
                else:
                    unreadable[name] = "not a photo file the scanner accepts"
            stats["unreadable"] += len(unreadable)
            for split in splits.values():
                if split.image_dir == image_dir:
                    split.drop_unreadable(unreadable)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return fingerprints, stats


def build_pair_sets(
    splits: dict[str, SplitPairs],
    fingerprints: dict[tuple[Path, str], str],
    catalog: Catalog,
    config: MultiFeatureConfig,
) -> dict[str, PairSet]:
    """One PairSet per split over the distinct photos its pairs use. A series is the dataset's burst:
    burst-relative features are taken against the other photos of the same series in the split."""
    import numpy as np

    from ranker.culling.scoring import model_inputs
    from ranker.ml.training import PairSet

    sets = {}
    for name, split in splits.items():
        images = sorted(split.images)
        index = {image: i for i, image in enumerate(images)}
        series: dict[str, list[int]] = {}
        for image, row in index.items():
            series.setdefault(series_of(image), []).append(row)
        try:
            features = model_inputs(
                catalog, [fingerprints[(split.image_dir, i)] for i in images], config, series.values()
            )
        except LookupError as exc:
            raise RuntimeError(f"the feature cache {catalog.path} lost features during training ({exc})") from exc
        sets[name] = PairSet(
            features,
            np.array([index[w] for w, _, _ in split.pairs], dtype=np.int64),
            np.array([index[loser] for _, loser, _ in split.pairs], dtype=np.int64),
        )
    return sets
