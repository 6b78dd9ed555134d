"""Ranking quality: does the best frame of a burst come first?

    python -m benchmarks.ranking [--quick] [--photos DIR] [--phototriage DIR] [--json FILE]

Three evaluations the default was not tuned on, side by side with the baselines:

1. Bursts from photographs the default checkpoint never saw (scikit-image's photos not in
   ranker.default_model.TRAINING_SKIMAGE, the camera samples of ../shared/photos not copied into
   resources/training_photos, any --photos folder minus look-alikes of training photos), degraded by
   benchmarks/degrade.py, a generator written independently of ranker.synthetic (the training one),
   at two levels, 3-5 frames with one clean frame in a shuffled position. The training generator's
   bursts (ranker.synthetic.LEVELS) are reported too, as a reference.
2. Spearman/Pearson against human MOS on the held-out test split of CLIVE (ranker.datasets.clive).
3. Real pairs of one scene (../shared/photos/exif_samples/hdr: HDR on should beat HDR off).

Methods: random, Laplacian variance, Tenengrad, PIQE, BRISQUE-style (benchmarks.baselines), the
default checkpoint through the real `rank` pipeline, and CLIP/CNN checkpoints when cached.

top-1: share of bursts whose clean frame is ranked first (ties share the credit).
pairwise: share of (clean, defective) pairs of one burst ordered correctly (ties count half).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.baselines import BASELINES, Scorers, fit_brisque_on_clive
from benchmarks.common import (
    command_line,
    describe_machine,
    in_work_dir,
    machine,
    markdown_table,
    timed,
    write_json,
)

LEVEL_ORDER = ("clear", "subtle")
GENERATORS = ("independent", "training")
FRAMES = 5  # training-generator bursts; the independent generator draws 3-5
FULL_BURSTS = 60  # per level, at least
QUICK_BURSTS = 20
DECODE_SIZE = 512  # what the baselines see (the pipeline's analysis size)
DEFAULT_NAME = "default checkpoint"
SHARED_PHOTOS = Path(
    os.environ.get("PHOTOTRIAGE_SHARED_PHOTOS", Path(__file__).resolve().parents[2] / "shared" / "photos")
)
#: camera samples of ../shared/photos that never enter training (resources/training_photos has the others)
HELD_OUT_SHARED = (
    "exif_samples/gps/DSCN0012.jpg",
    "exif_samples/gps/DSCN0025.jpg",
    "exif_samples/gps/DSCN0029.jpg",
    "exif_samples/gps/DSCN0040.jpg",
    "exif_samples/gps/DSCN0042.jpg",
    "exif_samples/mobile/HMD_Nokia_8.3_5G.jpg",
    "exif_samples/hdr/canon_hdr_NO.jpg",
    "exif_samples/orientation/portrait_1.jpg",
)
#: (better, worse) real pairs of one scene
REAL_PAIRS = (
    ("exif_samples/hdr/canon_hdr_YES.jpg", "exif_samples/hdr/canon_hdr_NO.jpg"),
    ("exif_samples/hdr/iphone_hdr_YES.jpg", "exif_samples/hdr/iphone_hdr_NO.jpg"),
)
#: feature sets that need downloaded backbones: (row name, features that define it)
BACKBONE_SETS = (
    ("CLIP checkpoint", ("clip",)),
    ("CNN checkpoint", ("cnn",)),
    ("combined checkpoint (CLIP+CNN+IQA)", ("clip", "cnn")),
)
#: a --photos picture this similar (16×16 descriptor cosine) to a training photo is left out
OVERLAP_SIMILARITY = 0.85


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- sources


@dataclass
class Sources:
    photos: list[tuple[str, Image.Image]]
    excluded: list[str] = field(default_factory=list)  # --photos files left out (training overlap)


def _descriptor(image: Image.Image) -> np.ndarray:
    from ranker.features.descriptor import DescriptorExtractor

    return DescriptorExtractor().extract([image])[0]


def training_descriptors() -> tuple[set[str], np.ndarray]:
    """Names and appearance descriptors of every photo the default checkpoint was built from."""
    from ranker.active_model import default_checkpoint_path
    from ranker.checkpoint import load_checkpoint
    from ranker.images import load_image
    from ranker.load_errors import ImageLoadError
    from ranker.synthetic import training_photos_dir

    names: set[str] = set()
    try:
        info = load_checkpoint(default_checkpoint_path()).info
        names.update(str(n).lower() for n in info.get("training_photos", []))
    except Exception:  # noqa: BLE001 - a missing checkpoint is reported where it is used
        pass
    vectors = []
    folder = training_photos_dir()
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            vectors.append(_descriptor(load_image(path, max_size=256)))
            names.add(path.stem.lower())
        except ImageLoadError:
            continue
    return names, np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)


def held_out_sources(count: int | None, photos_dir: Path | None) -> Sources:
    from ranker.default_model import TRAINING_SKIMAGE
    from ranker.images import is_supported, load_image
    from ranker.load_errors import ImageLoadError
    from ranker.synthetic import SKIMAGE_PHOTOS, iter_sources

    names = tuple(n for n in SKIMAGE_PHOTOS if n not in TRAINING_SKIMAGE)
    result = Sources(list(iter_sources(names[:count] if count else names)))
    for relative in HELD_OUT_SHARED if count is None else ():
        path = SHARED_PHOTOS / relative
        if path.is_file():
            result.photos.append((f"shared:{path.stem}", load_image(path, max_size=1024)))
    if photos_dir is None:
        return result
    training_names, training = training_descriptors()
    for path in sorted(Path(photos_dir).iterdir()):
        if path.name.startswith(".") or not path.is_file() or not is_supported(path):
            continue
        try:
            image = load_image(path, max_size=1024)
        except ImageLoadError as exc:
            result.excluded.append(f"{path.name} (unreadable: {exc.reason})")
            continue
        similarity = float((training @ _descriptor(image)).max()) if len(training) else 0.0
        if path.stem.lower() in training_names or similarity >= OVERLAP_SIMILARITY:
            result.excluded.append(
                f"{path.name} (overlaps the default checkpoint's training photos, similarity {similarity:.2f})"
            )
            continue
        result.photos.append((f"user:{path.stem}", image))
    return result


# ----------------------------------------------------------------------------- bursts


@dataclass
class Burst:
    level: str
    source: str
    folder: Path
    files: list[Path]
    best: Path
    defects: list[str]  # "kind:strength" per file


def build_bursts(
    work: Path, generator: str, level: str, sources: Sequence[tuple[str, Image.Image]], rounds: int, seed: int
) -> list[Burst]:
    """`rounds` shoot folders per level, each with one burst per source; every round has its own seed."""
    bursts = []
    for round_ in range(rounds):
        rng = np.random.default_rng([seed, GENERATORS.index(generator), LEVEL_ORDER.index(level), round_])
        folder = work / generator / level / f"round{round_:02d}"
        if generator == "independent":
            from benchmarks.degrade import write_shoot as write_independent

            for truth in write_independent(folder, list(sources), rng, level):
                bursts.append(Burst(level, truth["source"], folder, truth["files"], truth["best"], truth["defects"]))
            continue
        from ranker.synthetic import write_shoot

        for truth in write_shoot(folder, list(sources), rng, level=level, frames=FRAMES):
            bursts.append(
                Burst(
                    level,
                    truth["source"],
                    folder,
                    [folder / f for f in truth["files"]],
                    folder / truth["best"],
                    truth["defects"],
                )
            )
    return bursts


# ----------------------------------------------------------------------------- scoring


def decode_batches(paths: Sequence[Path], batch: int = 32) -> Iterable[tuple[list[Path], list[Image.Image]]]:
    """Decode exactly as the pipeline does (load_photo at the default feature set's size), in batches."""
    from ranker.images import load_photo
    from ranker.load_errors import ImageLoadError

    for start in range(0, len(paths), batch):
        ok_paths, images = [], []
        for path in paths[start : start + batch]:
            try:
                images.append(load_photo(path, max_size=DECODE_SIZE)[0])
                ok_paths.append(path)
            except ImageLoadError as exc:
                log(f"  skipped {path}: {exc.reason}")
        yield ok_paths, images


@dataclass
class Checkpoint:
    name: str
    path: Path
    label: str
    features: list[str]
    note: str = ""


def find_checkpoints(extra: Sequence[Path]) -> tuple[list[Checkpoint], dict[str, str]]:
    """The default checkpoint, any given with --model, and one per cached backbone feature set.

    Returns (checkpoints to evaluate, {row name: why it was skipped})."""
    from ranker.active_model import default_checkpoint_path
    from ranker.checkpoint import CheckpointError, load_checkpoint
    from ranker.features.registry import get_spec
    from ranker.paths import data_dir

    result = []
    skipped: dict[str, str] = {}
    try:
        default = load_checkpoint(default_checkpoint_path())
        result.append(
            Checkpoint(
                DEFAULT_NAME,
                default.path,
                default.label,
                [f["name"] for f in default.feature_set],
                f"trained on {', '.join(default.info.get('training_photos', [])) or '?'}",
            )
        )
    except CheckpointError as exc:  # e.g. stale after an extractor changed: report it, still run the baselines
        skipped[DEFAULT_NAME] = f"NOT EVALUATED: {exc}"
    given = []
    for path in extra:
        loaded = load_checkpoint(path)  # an explicit file that cannot be used is an error, not a skip
        given.append(
            Checkpoint(
                f"--model {Path(path).name}",
                loaded.path,
                loaded.label,
                [f["name"] for f in loaded.feature_set],
                f"trained on {', '.join(loaded.info.get('training_photos', [])) or 'unknown photos'}",
            )
        )
    result.extend(given)
    candidates = list(given)
    for folder in (data_dir() / "models", data_dir() / "personal_models"):
        for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
            try:
                loaded = load_checkpoint(path)
            except CheckpointError:
                continue
            candidates.append(Checkpoint("", loaded.path, loaded.label, [f["name"] for f in loaded.feature_set]))
    for row, needed in BACKBONE_SETS:
        missing = [name for name in needed if not get_spec(name).is_ready()]
        if missing:
            skipped[row] = (
                f"skipped: {', '.join(missing)} weights not cached (`phototriage models download {missing[0]}`)"
            )
            continue
        wanted = set(needed)
        match = next((c for c in candidates if {"clip", "cnn"} & set(c.features) == wanted), None)
        if match is None:
            skipped[row] = "skipped: weights cached but no checkpoint over this feature set found (pass --model PATH)"
        elif match.name:  # already evaluated as an explicit --model
            skipped[row] = f"see {match.name}"
        else:
            result.append(Checkpoint(row, match.path, match.label, match.features, f"found at {match.path}"))
    return result, skipped


def checkpoint_scores(folders: Sequence[Path], checkpoint: Checkpoint, catalog, device: str) -> dict[Path, float]:
    """Scores from the real `rank` pipeline (scan → cached features → group → score)."""
    from ranker.pipeline import PipelineOptions, rank_shoot, run

    scores: dict[Path, float] = {}
    for folder in folders:
        ranking = run(rank_shoot(folder, catalog, model_path=checkpoint.path, options=PipelineOptions(device=device)))
        if ranking.errors:
            raise RuntimeError(
                f"{folder}: the pipeline could not read {len(ranking.errors)} file(s): {ranking.errors[:3]}"
            )
        for burst in ranking.bursts:
            for photo in burst.photos:
                scores[Path(photo.path)] = photo.score
    return scores


# ----------------------------------------------------------------------------- metrics


def _credit(winner: float, loser: float) -> float:
    return 1.0 if winner > loser else 0.5 if winner == loser else 0.0


def burst_outcomes(
    bursts: Sequence[Burst], scores: dict[Path, float]
) -> tuple[np.ndarray, list[list[tuple[str, float]]]]:
    """Per burst: top-1 credit, and (defect kind, pair credit) for each defective frame."""
    top1, pairs = [], []
    for burst in bursts:
        values = [scores[f] for f in burst.files]
        best = scores[burst.best]
        leaders = [f for f, v in zip(burst.files, values) if v == max(values)]
        top1.append((burst.best in leaders) / len(leaders))
        pairs.append(
            [
                (defect.split(":")[0], _credit(best, scores[f]))
                for f, defect in zip(burst.files, burst.defects)
                if f != burst.best
            ]
        )
    return np.asarray(top1, dtype=np.float64), pairs


def bootstrap_ci(per_unit: Sequence[Sequence[float]], seed: int, rounds: int = 1000) -> tuple[float, float]:
    """95% percentile interval of the pooled mean, resampling units (bursts or pairs)."""
    sums = np.asarray([sum(u) for u in per_unit], dtype=np.float64)
    counts = np.asarray([len(u) for u in per_unit], dtype=np.float64)
    if len(sums) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), size=(rounds, len(sums)))
    means = sums[picks].sum(axis=1) / np.maximum(counts[picks].sum(axis=1), 1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate(bursts: Sequence[Burst], scores: dict[Path, float], seed: int) -> dict:
    top1, pairs = burst_outcomes(bursts, scores)
    flat = [credit for burst in pairs for _, credit in burst]
    kinds: dict[str, list[float]] = {}
    for burst in pairs:
        for kind, credit in burst:
            kinds.setdefault(kind, []).append(credit)
    return {
        "top1": float(top1.mean()),
        "top1_ci95": bootstrap_ci([[t] for t in top1], seed),
        "pairwise": float(np.mean(flat)),
        "pairwise_ci95": bootstrap_ci([[c for _, c in b] for b in pairs], seed + 1),
        "pairwise_by_defect": {k: {"accuracy": float(np.mean(v)), "pairs": len(v)} for k, v in sorted(kinds.items())},
    }


# ----------------------------------------------------------------------------- PhotoTriage


def phototriage_pairs(root: Path) -> tuple[list[tuple[Path, Path, float]], dict]:
    """(preferred, other, P) for the validation pairs with a clear preference.

    Release layout: train_val/train_val_imgs/SSSSSS-II.JPG and train_val/val_pairlist.txt with lines
    `SERIES A B P ...`, P the share of raters preferring B; pairs with 0.3 <= P <= 0.7 are dropped."""
    base = root / "train_val" if (root / "train_val").is_dir() else root
    pairlist, images = base / "val_pairlist.txt", base / "train_val_imgs"
    if not pairlist.is_file():
        raise SystemExit(f"{root}: no train_val/val_pairlist.txt (expected the PhotoTriage release layout)")
    pairs, stats = [], {"lines": 0, "ambiguous_dropped": 0, "missing_images": 0, "malformed": 0}
    for line in pairlist.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        stats["lines"] += 1
        try:
            series, a, b, p = int(parts[0]), int(parts[1]), int(parts[2]), float(parts[3])
        except (IndexError, ValueError):
            stats["malformed"] += 1
            continue
        if 0.3 <= p <= 0.7:
            stats["ambiguous_dropped"] += 1
            continue
        path_a = images / f"{series:06d}-{a:02d}.JPG"
        path_b = images / f"{series:06d}-{b:02d}.JPG"
        if not (path_a.is_file() and path_b.is_file()):
            stats["missing_images"] += 1
            continue
        pairs.append((path_b, path_a, p) if p > 0.7 else (path_a, path_b, p))
    return pairs, stats


def run_phototriage(
    root: Path, checkpoints: Sequence[Checkpoint], scorers: Scorers, limit: int | None, device: str, seed: int
) -> dict:
    import torch

    from ranker.burst_context import model_rows
    from ranker.checkpoint import load_checkpoint
    from ranker.datasets.phototriage import series_of
    from ranker.features.registry import get_extractor

    pairs, stats = phototriage_pairs(root)
    if limit and len(pairs) > limit:
        keep = np.random.default_rng([seed, 7]).choice(len(pairs), size=limit, replace=False)
        pairs = [pairs[i] for i in sorted(keep)]
    paths = sorted({p for pair in pairs for p in pair[:2]})
    log(f"PhotoTriage: {len(pairs)} clear-preference pairs over {len(paths)} images")
    loaded = {c.name: load_checkpoint(c.path) for c in checkpoints}
    extractors = {f: get_extractor(f, device) for c in loaded.values() for f in c.model.config.extractor_names}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in extractors}
    scores: dict[str, dict[Path, float]] = {}
    for done, (batch_paths, images) in enumerate(decode_batches(paths)):
        for name, values in scorers.score(images).items():
            scores.setdefault(name, {}).update(zip(batch_paths, values))
        for name, extractor in extractors.items():
            vectors[name].append(extractor.extract(images))
        if done % 10 == 0:
            log(f"  scored {min(len(paths), (done + 1) * 32)}/{len(paths)} images")
    features = {name: np.concatenate(parts) for name, parts in vectors.items()}
    series: dict[str, list[int]] = {}  # a series is the dataset's burst
    for row, path in enumerate(paths):
        series.setdefault(series_of(path.name), []).append(row)
    for name, checkpoint in loaded.items():
        inputs = model_rows(
            checkpoint.model.config,
            lambda layout: np.concatenate([features[f] for f, _ in layout], axis=1),
            series.values(),
        )
        with torch.inference_mode():
            values = checkpoint.model(torch.from_numpy(inputs.astype(np.float32))).numpy()
        scores[name] = dict(zip(paths, (float(v) for v in values)))
    methods = {}
    for name, table in scores.items():
        credits = [[_credit(table[w], table[loser])] for w, loser, _ in pairs if w in table and loser in table]
        methods[name] = {
            "pairwise": float(np.mean(credits)) if credits else float("nan"),
            "pairwise_ci95": bootstrap_ci(credits, seed),
            "pairs": len(credits),
        }
    return {"root": str(root), "pairs": len(pairs), "images": len(paths), **stats, "methods": methods}


# ----------------------------------------------------------------------------- human scores, real pairs


def checkpoint_photo_scores(checkpoint: Checkpoint, paths: Sequence[Path]) -> np.ndarray:
    """Model scores for single photos (no burst), decoded and extracted as `rank` does."""
    import torch

    from ranker.checkpoint import load_checkpoint
    from ranker.default_model import photo_rows

    loaded = load_checkpoint(checkpoint.path)
    with torch.inference_mode():
        return loaded.model(torch.from_numpy(photo_rows(list(paths), loaded.model.config))).numpy()


def run_clive(checkpoints: Sequence[Checkpoint], scorers: Scorers, split: str) -> dict:
    """Spearman and Pearson against MOS on one CLIVE split (the held-out `test` unless told)."""
    from scipy.stats import pearsonr, spearmanr

    from ranker.datasets import clive
    from ranker.images import load_image

    photos = clive.load(split=split)
    mos = np.asarray([p.mos for p in photos])
    scores: dict[str, list[float]] = {}
    for start in range(0, len(photos), 32):
        images = [load_image(p.path, max_size=DECODE_SIZE) for p in photos[start : start + 32]]
        for name, values in scorers.score(images).items():
            scores.setdefault(name, []).extend(values)
    for checkpoint in checkpoints:
        scores[checkpoint.name] = list(checkpoint_photo_scores(checkpoint, [p.path for p in photos]))
    methods = {}
    for name, values in scores.items():
        values = np.asarray(values, dtype=np.float64)
        if len(values) != len(mos):
            continue  # a method that failed part-way (pyiqa) is skipped, not half-counted
        methods[name] = {
            "spearman": float(spearmanr(values, mos).statistic),
            "pearson": float(pearsonr(values, mos).statistic),
        }
    return {"split": split, "photos": len(photos), "root": str(clive.default_root()), "methods": methods}


def run_real_pairs(checkpoints: Sequence[Checkpoint], scorers: Scorers) -> dict:
    """Which of each real (better, worse) pair every method prefers (decoded at DECODE_SIZE; models as `rank`)."""
    from ranker.images import load_image

    pairs = [(SHARED_PHOTOS / a, SHARED_PHOTOS / b) for a, b in REAL_PAIRS]
    pairs = [p for p in pairs if p[0].is_file() and p[1].is_file()]
    if not pairs:
        return {}
    paths = [path for pair in pairs for path in pair]
    scores = scorers.score([load_image(p, max_size=DECODE_SIZE) for p in paths])
    for checkpoint in checkpoints:
        import shutil
        import tempfile

        from ranker.catalog import Catalog
        from ranker.pipeline import rank_shoot, run

        values = []
        with tempfile.TemporaryDirectory() as tmp:
            catalog = Catalog(Path(tmp) / "c.db")
            for index, (better, worse) in enumerate(pairs):  # each pair is one burst of two frames
                folder = Path(tmp) / f"pair{index}"
                folder.mkdir()
                for path in (better, worse):
                    shutil.copy2(path, folder / path.name)
                ranking = run(rank_shoot(folder, catalog, model_path=checkpoint.path))
                by_name = {p.path.name: p.score for b in ranking.bursts for p in b.photos}
                values += [by_name[better.name], by_name[worse.name]]
            catalog.close()
        scores[checkpoint.name] = values
    rows = {}
    for name, values in scores.items():
        if len(values) == len(paths):
            rows[name] = [_credit(values[2 * i], values[2 * i + 1]) for i in range(len(pairs))]
    return {"pairs": [f"{a.name} > {b.name}" for a, b in pairs], "methods": rows}


# ----------------------------------------------------------------------------- report


def fmt(value: float, ci: Sequence[float] | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" + (f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "")


def verdict(levels: dict) -> dict:
    """Does the default checkpoint beat every baseline, on both metrics, at every level?"""
    result = {"beats_every_baseline": True, "details": []}
    if not levels or any(DEFAULT_NAME not in data["methods"] for data in levels.values()):
        return {"beats_every_baseline": False, "details": ["the default checkpoint was not evaluated"]}
    for level, data in levels.items():
        methods = data["methods"]
        mine = methods.get(DEFAULT_NAME)
        for baseline in BASELINES:
            other = methods.get(baseline)
            if mine is None or other is None:
                continue
            for metric in ("top1", "pairwise"):
                ok = mine[metric] > other[metric]
                if not ok:
                    result["beats_every_baseline"] = False
                    result["details"].append(
                        f"{level}: {metric} {mine[metric]:.3f} is not above {baseline} {other[metric]:.3f}"
                    )
    return result


def _burst_table(levels: dict, skipped: dict) -> list[str]:
    names: list[str] = []
    for data in levels.values():
        names += [n for n in data["methods"] if n not in names]
    header = ["method"] + [f"{level} {metric}" for level in levels for metric in ("top-1", "pairwise")]
    rows = []
    for name in names:
        row = [name]
        for data in levels.values():
            m = data["methods"].get(name)
            row += [fmt(m["top1"], m["top1_ci95"]), fmt(m["pairwise"], m["pairwise_ci95"])] if m else ["–", "–"]
        rows.append(row)
    for name, why in skipped.items():
        rows.append([name] + [why] + ["–"] * (len(header) - 2))
    lines = [markdown_table(header, rows)]
    if levels and all(DEFAULT_NAME in d["methods"] for d in levels.values()):
        kinds = {level: list(d["methods"][DEFAULT_NAME]["pairwise_by_defect"]) for level, d in levels.items()}
        kinds_header = ["method"] + [f"{level} {kind}" for level, ks in kinds.items() for kind in ks]
        rows = []
        for name in names:
            row = [name]
            for level, data in levels.items():
                by = data["methods"].get(name, {}).get("pairwise_by_defect", {})
                row += [f"{by[k]['accuracy']:.2f}" if k in by else "–" for k in kinds[level]]
            rows.append(row)
        lines += [
            "",
            "Pairwise accuracy (clean frame above the degraded one) by degradation:",
            "",
            markdown_table(kinds_header, rows),
        ]
    return lines


def report(results: dict) -> str:
    lines = []
    for generator, levels in results["generators"].items():
        counts = ", ".join(f"{level}: {d['bursts']} bursts / {d['pairs']} pairs" for level, d in levels.items())
        title = (
            "Independent generator (benchmarks/degrade.py), held-out photos"
            if generator == "independent"
            else "Training generator (ranker.synthetic.LEVELS), held-out photos [reference]"
        )
        lines += [f"## {title} ({counts}; 95% bootstrap intervals in brackets)", ""]
        lines += _burst_table(levels, results["skipped"] if generator == "independent" else {})
        lines.append("")
    v = results["verdict"]
    lines += [
        "Default checkpoint beats every baseline (" + ", ".join(BASELINES) + ") on the independent bursts, "
        "both levels, top-1 and pairwise: "
        + ("**yes**" if v["beats_every_baseline"] else "**NO** — " + "; ".join(v["details"])),
        "",
    ]
    cl = results.get("clive")
    if cl:
        lines += [
            f"## CLIVE held-out `{cl['split']}` split ({cl['photos']} photos, human MOS)",
            "",
            markdown_table(
                ["method", "Spearman", "Pearson"],
                [[n, f"{m['spearman']:+.3f}", f"{m['pearson']:+.3f}"] for n, m in cl["methods"].items()],
            ),
            "",
        ]
    rp = results.get("real_pairs")
    if rp:
        lines += [
            "## Real pairs of one scene (1 = the first is ranked above the second)",
            "",
            markdown_table(["method", *rp["pairs"]], [[n, *(f"{c:.1f}" for c in v)] for n, v in rp["methods"].items()]),
            "",
        ]
    lines += [
        f"Machine: {describe_machine(results['machine'])}",
        f"Command: `{results['command']}`",
        f"Sources: {', '.join(results['sources'])}",
    ]
    if results.get("excluded"):
        lines.append(f"Left out of --photos: {'; '.join(results['excluded'])}")
    for name, c in results.get("checkpoints", {}).items():
        lines.append(f"{name}: {c['label']}, {c['path']} (content key {c['key']}); {c['note']}")
    for name, note in results.get("notes", {}).items():
        lines.append(f"{name}: {note}")
    pt = results.get("phototriage")
    if pt:
        lines += [
            "",
            f"## PhotoTriage validation pairs ({pt['pairs']} pairs with P<0.3 or P>0.7, "
            f"{pt['ambiguous_dropped']} ambiguous dropped, {pt['missing_images']} with missing images)",
            "",
            markdown_table(
                ["method", "pairwise"], [[n, fmt(m["pairwise"], m["pairwise_ci95"])] for n, m in pt["methods"].items()]
            ),
        ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ranking", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"about {QUICK_BURSTS} bursts per level (default: at least {FULL_BURSTS})"
    )
    parser.add_argument(
        "--photos",
        type=Path,
        metavar="DIR",
        help="also build bursts from the photos in DIR "
        "(any that resemble the default checkpoint's training photos are left out)",
    )
    parser.add_argument(
        "--phototriage",
        type=Path,
        metavar="DIR",
        help="also measure pairwise accuracy on the PhotoTriage validation split in DIR",
    )
    parser.add_argument("--phototriage-limit", type=int, metavar="N", help="evaluate a seeded sample of N pairs")
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="also evaluate this checkpoint (repeatable)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write machine-readable results ('-': stdout)")
    parser.add_argument("--sources", type=int, metavar="N", help="use only the first N scikit-image photos")
    parser.add_argument(
        "--bursts-per-source",
        type=int,
        metavar="N",
        help="bursts per source photo and level (default: enough for the burst count above)",
    )
    parser.add_argument("--levels", default=",".join(LEVEL_ORDER), help="comma-separated (default %(default)s)")
    parser.add_argument("--generators", default=",".join(GENERATORS), help="comma-separated (default %(default)s)")
    parser.add_argument("--no-clive", action="store_true", help="skip CLIVE (and the BRISQUE-style baseline)")
    parser.add_argument(
        "--clive-split",
        default="test",
        choices=("train", "val", "test"),
        help="CLIVE split to report (default: the held-out test split)",
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--device", default="auto", help="torch device for pyiqa and backbones")
    parser.add_argument("--no-pyiqa", action="store_true", help="skip the PIQE row (pyiqa takes ~5 s to import)")
    parser.add_argument(
        "--work",
        type=Path,
        metavar="DIR",
        help="keep the generated shoots and catalog here (default: a temporary folder, removed afterwards)",
    )
    args = parser.parse_args(argv)
    unknown = [lv for lv in args.levels.split(",") if lv not in LEVEL_ORDER]
    if unknown:
        parser.error(f"unknown level(s) {unknown}; choose from {LEVEL_ORDER}")
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    return in_work_dir(args.work, "phototriage-bench-ranking-", lambda work: _main(args, work, argv))


def _main(args: argparse.Namespace, work: Path, argv: Sequence[str] | None) -> dict:
    from benchmarks.degrade import STRENGTHS
    from ranker.active_model import model_key
    from ranker.catalog import Catalog
    from ranker.datasets import clive
    from ranker.default_model import TRAINING_SKIMAGE
    from ranker.synthetic import LEVELS

    levels = [lv for lv in LEVEL_ORDER if lv in args.levels.split(",")]
    generators = [g for g in GENERATORS if g in args.generators.split(",")]
    sources = held_out_sources(args.sources, args.photos)
    target = QUICK_BURSTS if args.quick else FULL_BURSTS
    rounds = args.bursts_per_source or max(1, math.ceil(target / len(sources.photos)))
    checkpoints, skipped = find_checkpoints(args.model)
    brisque, brisque_note = (None, "skipped: --no-clive") if args.no_clive else fit_brisque_on_clive()
    if brisque is None:
        skipped[BASELINES[-1]] = brisque_note
    scorers = Scorers(args.seed, args.device, not args.no_pyiqa, brisque)
    results: dict = {
        "command": command_line("benchmarks.ranking", argv),
        "machine": machine(args.device),
        "config": {
            "quick": args.quick,
            "seed": args.seed,
            "bursts_per_source": rounds,
            "decode_size": DECODE_SIZE,
            "independent_strengths": {lv: STRENGTHS[lv] for lv in levels},
            "training_levels": {lv: LEVELS[lv] for lv in levels},
        },
        "sources": [name for name, _ in sources.photos],
        "excluded": sources.excluded,
        "checkpoints": {
            c.name: {"path": str(c.path), "label": c.label, "note": c.note, "key": model_key(c.path)}
            for c in checkpoints
        },
        "skipped": skipped,
        "notes": {"BRISQUE-style": brisque_note},
        "generators": {},
    }
    catalog = Catalog(work / "catalog.db")
    try:
        for generator in generators:
            results["generators"][generator] = {}
            for level in levels:
                seconds, bursts = timed(lambda: build_bursts(work, generator, level, sources.photos, rounds, args.seed))
                log(f"{generator} {level}: {len(bursts)} bursts written in {seconds:.1f} s")
                files = [f for b in bursts for f in b.files]
                scores: dict[str, dict[Path, float]] = {}
                for batch_paths, images in decode_batches(files):
                    for name, values in scorers.score(images).items():
                        scores.setdefault(name, {}).update(zip(batch_paths, values))
                for name in list(scores):
                    if name not in scorers.names():
                        del scores[name]  # a method that failed part-way (pyiqa) is skipped, not half-counted
                folders = sorted({b.folder for b in bursts})
                for checkpoint in checkpoints:
                    seconds, scores[checkpoint.name] = timed(
                        lambda: checkpoint_scores(folders, checkpoint, catalog, args.device)
                    )
                    log(f"{generator} {level}: {checkpoint.name} ranked {len(files)} photos in {seconds:.1f} s")
                order = [*scorers.names(), *(c.name for c in checkpoints)]
                results["generators"][generator][level] = {
                    "bursts": len(bursts),
                    "pairs": sum(len(b.files) - 1 for b in bursts),
                    "methods": {name: evaluate(bursts, scores[name], args.seed) for name in order if name in scores},
                }
        if not args.no_clive and clive.is_available():
            results["clive"] = run_clive(checkpoints, scorers, args.clive_split)
        elif not args.no_clive:
            results["notes"]["clive"] = f"skipped: no CLIVE data at {clive.default_root()} (set PHOTOTRIAGE_CLIVE)"
        results["real_pairs"] = run_real_pairs(checkpoints, scorers)
        if scorers.piqe_error:
            results["skipped"]["pyiqa piqe"] = f"skipped: {scorers.piqe_error}"
        elif args.no_pyiqa:
            results["skipped"]["pyiqa piqe"] = "skipped: --no-pyiqa"
        if args.phototriage is not None:
            results["phototriage"] = run_phototriage(
                args.phototriage, checkpoints, scorers, args.phototriage_limit, args.device, args.seed
            )
    finally:
        catalog.close()
    results["notes"]["held-out"] = (
        "the default checkpoint was built from resources/training_photos/ and "
        f"scikit-image's {', '.join(TRAINING_SKIMAGE)}; none of the sources above"
    )
    results["levels"] = results["generators"].get("independent", {})
    results["verdict"] = verdict(results["levels"])
    print(report(results))
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
