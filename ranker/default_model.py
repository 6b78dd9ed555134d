"""Build the shipped offline default checkpoint from synthetic bursts of licence-clean photos and human scores.

    python -m ranker.default_model [--out resources/default_ranker.pt] [--bursts-per-photo 4] [--no-clive]

Training pairs come from a list of sources (SOURCES): synthetic bursts (the clean frame beats every
degraded one) and, when ../shared/data/clive_dev is present, real photos of the CLIVE train and
validation splits (the one with the clearly higher human opinion score wins). The burst sources also
give validation pairs (held-out scenes), reported, not used to pick an epoch (TRAINING keeps the
last). Features go through the real extractors on decoded files, so the model sees exactly what
`rank` will show it. The CLIVE photos also calibrate the 0-100 `quality` score (ranker.ml.quality).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from PIL import Image

from ranker.culling.pipeline import PipelineOptions, run, scan_shoot
from ranker.culling.scoring import model_inputs
from ranker.datasets.face_bursts import training_face_shoot
from ranker.datasets.synthetic import BurstTruth, Defect, apply_defect, skimage_photo, training_photos_dir, write_shoot
from ranker.ml.checkpoint import save_checkpoint
from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker
from ranker.ml.training import PairSet, TrainConfig, fit_normalization, pairwise_accuracy, train_pairs
from ranker.store.catalog import Catalog

#: The default's per-photo features, as ONE list (registered extractor names, input order):
#: the seed's 4 global signals, the near-native detail map (focus peak, noise where flat, chroma
#: noise, JPEG blocking), BRISQUE's 36 natural-scene statistics and 56 in-the-wild scene statistics
#: (tonal range, spectral slope, σ-map, colour NSS, GM-LOG: CLIVE 4-fold CV 0.614 → 0.665 with
#: DESIQUE's log-derivatives among them, higher on every fold; 0.663 once those were dropped).
#: Chosen by CV on the CLIVE train+validation photos (docs/BENCHMARKS.md).
FEATURES: tuple[str, ...] = ("iqa", "detail", "nss", "scene_stats")
#: Features fed as each frame's deviation from its burst's median: exposure (one frame cannot tell a
#: dark scene exposed right from the same scene a stop too bright; its burst can) and detail (the
#: frame with the sharpest subject and the least grain of its burst); faces: how far each face falls
#: short of the same person's best frame in the burst.
BURST_CONTEXT: tuple[str, ...] = ("exposure_profile", "detail", "faces")
#: scikit-image's bundled photographs used for training; the rest stay out for the benchmarks.
TRAINING_SKIMAGE = ("astronaut", "coffee", "chelsea", "rocket")


def default_config() -> MultiFeatureConfig:
    """The seed's Siamese tower (512 → 256) over FEATURES with BURST_CONTEXT. LayerNorm is off: it
    would erase the levels of the few global signals next to the 36 NSS numbers."""
    extra = tuple(name for name in FEATURES if name != "iqa")
    return MultiFeatureConfig(
        use_clip="clip" in FEATURES,
        use_cnn_features="cnn" in FEATURES,
        use_iqa_features="iqa" in FEATURES,
        extra_features=tuple(n for n in extra if n not in ("clip", "cnn")),
        burst_context=BURST_CONTEXT,
        mlp_hidden_dims=(512, 256),
        use_layernorm=False,
    )


@dataclass
class SourcePairs:
    """One training source's contribution: model-input rows and (winner, loser, weight) pairs by split."""

    name: str
    features: np.ndarray
    train: tuple[list[int], list[int], list[float]]
    val: tuple[list[int], list[int], list[float]]
    info: dict[str, Any] = field(default_factory=dict)  # JSON-able provenance; "_" keys carry arrays


@dataclass
class BuildContext:
    config: MultiFeatureConfig
    work: Path
    seed: int
    quiet: bool
    catalog: Catalog
    options: dict[str, Any] = field(default_factory=dict)  # build()'s keyword options


#: A source: BuildContext → SourcePairs (or None when its data is absent, e.g. no ../shared).
Source = Callable[[BuildContext], "SourcePairs | None"]


# ----------------------------------------------------------------------------- synthetic bursts


def synthetic_pairs(truth: Sequence[BurstTruth], index_of: dict[str, int]) -> tuple[list[int], list[int], list[float]]:
    """Clean frame beats every defective one (weight 1); a milder defect beats a stronger one of the
    same kind (weight 0.5) so the model learns degrees, not just clean-vs-not."""
    winners, losers, weights = [], [], []
    for burst in truth:
        frames = [
            (name, defect.split(":")[0], float(defect.split(":")[1]))
            for name, defect in zip(burst["files"], burst["defects"])
            if name in index_of
        ]
        clean = [f for f in frames if f[1] == "clean"]
        for name, kind, _strength in frames:
            if kind != "clean" and clean:
                winners.append(index_of[clean[0][0]])
                losers.append(index_of[name])
                weights.append(1.0)
        for a in frames:
            for b in frames:
                if a[1] == b[1] != "clean" and "+" not in a[1] and a[2] < b[2] * 0.8:
                    winners.append(index_of[a[0]])
                    losers.append(index_of[b[0]])
                    weights.append(0.5)
    return winners, losers, weights


def training_scenes(photos_dir: Path) -> list[tuple[str, Image.Image]]:
    scenes = [(p.stem, Image.open(p).convert("RGB")) for p in sorted(photos_dir.glob("*.jpg"))]
    return scenes + [(f"skimage:{name}", skimage_photo(name)) for name in TRAINING_SKIMAGE]


def burst_source(name: str, ctx: BuildContext, work: Path, truth: list[BurstTruth], held_out: set[str]) -> SourcePairs:
    """Bursts written under `work` (ground truth `truth`, absolute paths) through the real extractors:
    pairs from the bursts of sources not in `held_out` train, the others validate."""
    catalog, config = ctx.catalog, ctx.config
    paths: list[str] = []
    for shoot in sorted(p for p in work.iterdir() if p.is_dir()):
        ids, failures, _ = run(scan_shoot(shoot, catalog, config.extractor_names, PipelineOptions(decode_workers=1)))
        if failures:
            raise SystemExit(f"could not read synthetic frames: {failures[:3]}")
        paths.extend(str(catalog.photo(pid).path) for pid in ids)
    # every path was just scanned, so it has a photo and that photo its fingerprint
    fingerprints = [cast(str, catalog.photo(cast(int, catalog.photo_for_path(Path(p)))).fingerprint) for p in paths]
    index_of = {p: i for i, p in enumerate(paths)}
    # Each frame is set against its true burst, as `rank` sets it against the burst it groups.
    bursts = [[index_of[f] for f in burst["files"] if f in index_of] for burst in truth]
    features = model_inputs(catalog, fingerprints, config, bursts)
    train = [b for b in truth if b["source"] not in held_out]
    val = [b for b in truth if b["source"] in held_out]
    pairs = SourcePairs(
        name,
        features,
        synthetic_pairs(train, index_of),
        synthetic_pairs(val, index_of),
        {"sources": sorted({b["source"] for b in truth}), "held_out": sorted(held_out), "bursts": len(truth)},
    )
    pairs.info["_val_bursts"] = [[index_of[f] for f in b["files"] if f in index_of] for b in val]
    # write_shoot without brackets and training_face_shoot give every burst its clean frame
    pairs.info["_val_best"] = [index_of[next(f for f in b["files"] if f.endswith(cast(str, b["best"])))] for b in val]
    return pairs


def synthetic_bursts(ctx: BuildContext) -> SourcePairs:
    """Bursts of 3-8 frames from every training photo: one clean frame, the others with any of the
    training defects (ranker.datasets.synthetic.TRAINING_LEVELS) at random strengths; whole scenes held out."""
    sources = training_scenes(ctx.options["photos_dir"])
    if len(sources) < 3:
        raise SystemExit(f"{ctx.options['photos_dir']}: need at least 3 training photos, found {len(sources)}")
    rng = np.random.default_rng(ctx.seed)
    held_out = {name for name, _ in sources[::5]}  # whole scenes kept for validation
    truth = []
    work = ctx.work / "synthetic"
    for round_ in range(ctx.options["bursts_per_photo"]):
        shoot = work / f"round{round_:02d}"
        # Scenes differ in brightness (dusk, snow, a dark interior): shift each scene's "correct"
        # exposure so the model judges exposure within a burst, not against one ideal brightness.
        scenes = []
        for (name, image), ev in zip(sources, rng.choice([-1.5, -1.0, -0.5, 0.0, 0.0, 0.5], len(sources))):
            image = image.copy()
            image.thumbnail((int(rng.integers(512, 1025)),) * 2, Image.Resampling.LANCZOS)
            scenes.append(
                (name, apply_defect(image, Defect("under" if ev < 0 else "over", abs(ev)), rng) if ev else image)
            )
        for burst in write_shoot(shoot, scenes, rng, level="training", frames=int(rng.integers(3, 9))):
            burst["files"] = [str(shoot / f) for f in burst["files"]]
            truth.append(burst)
    pairs = burst_source("synthetic bursts", ctx, work, truth, held_out)
    pairs.info["training_photos"] = sorted(name for name, _ in sources)
    pairs.info["held_out_photos"] = sorted(held_out)
    return pairs


#: Face bursts (ranker.datasets.face_bursts) of the licence-clean portraits: this many train, and this many more,
#: drawn from their own seed (other framings, strengths and shuffles), validate.
FACE_BURSTS = {"train": 48, "val": 16}


def face_bursts(ctx: BuildContext) -> SourcePairs:
    """Synthetic blinks and soft faces on the public-domain astronaut (licence-clean and reproducible
    offline), judged per person against the rest of the burst (ranker.features.face_context). Its own source, so
    its weight is set apart from the scene bursts' and its validation bursts are reported on their own."""
    work = ctx.work / "faces"
    truth = training_face_shoot(work / "train", np.random.default_rng(ctx.seed + 1), synthetic=FACE_BURSTS["train"])
    val = training_face_shoot(work / "val", np.random.default_rng(ctx.seed + 2), synthetic=FACE_BURSTS["val"])
    for burst in val:
        burst["source"] = f"{burst['source']} (validation)"
    return burst_source("face bursts", ctx, work, truth + val, {b["source"] for b in val})


# ----------------------------------------------------------------------------- CLIVE (human scores)

#: A CLIVE pair trains only when the human scores differ by at least this much (MOS 0-100; the
#: typical per-photo standard deviation of the raters is ~19, of the mean ~1.5).
MOS_GAP = 10.0


def photo_rows(paths: Sequence[Path], config: MultiFeatureConfig) -> np.ndarray:
    """Model-input rows for single photos (no burst: burst-relative features are 0), decoded as `rank` does."""
    from ranker.features.registry import get_extractor
    from ranker.io.images import load_photo
    from ranker.ml.burst_context import model_rows

    extractors = {name: get_extractor(name) for name in config.extractor_names}
    size = max(e.decode_size for e in extractors.values())
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in extractors}
    for start in range(0, len(paths), 32):
        images = [load_photo(p, max_size=size)[0] for p in paths[start : start + 32]]
        for name, extractor in extractors.items():
            vectors[name].append(extractor.extract(images))
    table = {name: np.concatenate(parts) for name, parts in vectors.items()}
    return model_rows(config, lambda layout: np.concatenate([table[n] for n, _ in layout], axis=1), [])


def mos_pairs(mos: np.ndarray, rows: np.ndarray, gap: float = MOS_GAP) -> tuple[list[int], list[int], list[float]]:
    """Every (better, worse) pair among `rows` whose MOS differ by at least `gap`."""
    a, b = np.meshgrid(rows, rows, indexing="ij")
    keep = (mos[a] - mos[b]) >= gap
    winners, losers = a[keep].tolist(), b[keep].tolist()
    return winners, losers, [1.0] * len(winners)


def clive_photos(ctx: BuildContext) -> SourcePairs | None:
    """Real phone photos with human opinion scores: pairs among the CLIVE train and validation photos
    all train (TRAINING needs no validation pairs to stop; the test split stays out for benchmarks)."""
    from ranker.datasets import clive

    root = ctx.options.get("clive_root") or clive.default_root()
    if ctx.options.get("no_clive") or not clive.is_available(root):
        return None
    photos = [p for split in ("train", "val") for p in clive.load(root, split)]
    split = np.asarray([clive.split_of(p.path.name) for p in photos])
    mos = np.asarray([p.mos for p in photos], dtype=np.float64)
    features = photo_rows([p.path for p in photos], ctx.config)
    train = np.arange(len(photos))
    return SourcePairs(
        "CLIVE photos",
        features,
        mos_pairs(mos, train),
        ([], [], []),
        {
            "root": str(root),
            "train_photos": int((split == "train").sum()),
            "val_photos": int((split == "val").sum()),
            "_mos": mos,
            "_train": train,
            "_val": np.zeros(0, dtype=np.int64),
        },
    )


#: Where training pairs come from, in order. Each source decides itself whether its data is present.
SOURCES: list[Source] = [synthetic_bursts, face_bursts, clive_photos]


# ----------------------------------------------------------------------------- build


#: Each source's share of the training weight (a source not named here weighs 1). Validation pairs
#: weigh the same way, so the reported validation accuracy balances the sources as training does.
#: CLIVE counts double: its human scores are the only real photos in training. In 4-fold
#: cross-validation over its train and validation photos, weight 2 with TRAINING's schedule raised
#: Spearman with MOS from 0.604 (weight 1, constant rate) to 0.626, every fold higher, without losing
#: held-out burst top-1 (weight 3: 0.631 but burst top-1 0.833 against 0.875).
SOURCE_WEIGHTS: dict[str, float] = {"CLIVE photos": 2.0}


def combine(
    parts: Sequence[SourcePairs], weights: dict[str, float] | None = None
) -> tuple[np.ndarray, dict[str, PairSet], list[int]]:
    """One feature matrix and train/val PairSets over every source; each source's pairs are weighted so
    that every source carries the same total weight (CLIVE's 40k pairs do not drown 5k burst pairs),
    times its share in `weights` (default SOURCE_WEIGHTS)."""
    weights = SOURCE_WEIGHTS if weights is None else weights
    offsets = np.cumsum([0] + [len(p.features) for p in parts])
    features = np.concatenate([p.features for p in parts]).astype(np.float32)
    sets = {}
    for split in ("train", "val"):
        winners, losers, pair_weights = [], [], []
        for part, offset in zip(parts, offsets):
            w, loser, g = getattr(part, split)
            if not w:
                continue
            scale = 1000.0 * weights.get(part.name, 1.0) / sum(g)
            winners += [i + offset for i in w]
            losers += [i + offset for i in loser]
            pair_weights += [x * scale for x in g]
        sets[split] = PairSet(
            features,
            np.asarray(winners, dtype=np.int64),
            np.asarray(losers, dtype=np.int64),
            np.asarray(pair_weights, dtype=np.float32),
        )  # the arrays PairSet.__post_init__ would make of the lists
    return features, sets, offsets.tolist()


#: The default's training settings (ranker.ml.training.TrainConfig). A cosine schedule over 5 epochs,
#: the last one kept: no validation split steers training, so every CLIVE train+validation photo
#: trains. Measured by a 4-fold cross-validation over those 474 photos in which the held-out fold
#: neither trains nor picks the epoch (the former recipe, 20 cosine epochs with the best kept by
#: validation accuracy, stopped there on an inner validation split of the fold's training photos):
#: Spearman with MOS 0.619 → 0.664 (mean of seeds 1-3, every fold higher; seed spread 0.035 → 0.007),
#: held-out burst top-1 0.875 in all three builds (former: 0.833-0.875), face bursts 1.000. The former
#: recipe's best epoch came at 1-16 of 20, mostly 1-5: CLIVE overfits early. On earlier scene_stats
#: columns: 20 epochs kept to the last 0.639, 10 0.652, 5 0.656, 3 0.654 (wider seed spread); CLIVE
#: weight 3 (+0.003), MOS-difference pair weights (0.000), margin 0.5 (-0.004), MOS gap 5 (-0.011)
#: and weight decay 0.1 (-0.016) gained nothing.
#: Margin 0.3 (validation Spearman 0.655) over the seed's 0.5 (0.632) and 0.2 (0.621, and a default
#: that fine-tuning bends too little: tests/ranker/learning/test_learning.py): MOS pairs 10 points
#: apart are not worth the push of a clean frame over a blurred one.
#: Weight averaging over the last 60% of the steps (average_from 0.4; same CV, scene_stats v4): 0.663 →
#: 0.669, every fold higher, held-out burst top-1 0.837 → 0.840; from 20% 0.670, from 60% 0.666, an
#: exponential average (decay 0.99 / 0.998) 0.665 / 0.668. Random crops of the CLIVE photos as extra
#: training rows (2 per photo, 75% of the side) lost: 0.654 over the 10 of 12 runs finished, burst top-1 0.75-0.875.
TRAINING = TrainConfig(
    max_epochs=5,
    batch_size=256,
    learning_rate=1e-3,
    weight_decay=1e-2,
    margin=0.3,
    patience=5,
    schedule="cosine",
    keep="last",
    average_from=0.4,
)


def train_default(
    parts: Sequence[SourcePairs],
    config: MultiFeatureConfig,
    seed: int,
    *,
    weights: dict[str, float] | None = None,
    train_config: TrainConfig | None = None,
    quiet: bool = True,
) -> tuple[MultiFeaturePairwiseRanker, TrainConfig, dict[str, Any]]:
    """Train the default's model on every source's pairs; returns it with its training settings and a
    report: validation figures per source (pairwise, burst top-1, Spearman with MOS where a source has
    validation photos) and the 0-100 quality calibration (fitted to the training photos' MOS when present)."""
    from scipy.stats import spearmanr

    from ranker.ml.quality import fit_calibration
    from ranker.ml.training import score_features

    features, sets, offsets = combine(parts, weights)
    # One thread: multi-threaded CPU reductions differ run to run, and the shipped checkpoint
    # must be reproducible from this script.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = MultiFeaturePairwiseRanker(config)
    fit_normalization(model, features)
    train_config = replace(train_config or TRAINING, seed=seed)
    result = train_pairs(model, sets["train"], sets["val"], train_config, progress=not quiet, desc="default")
    scores = score_features(model, features)
    info: dict[str, Any] = {
        "pairs": {k: len(v) for k, v in sets.items()},
        "val_pairwise_accuracy": pairwise_accuracy(model, sets["val"]),
        "source_weights": {part.name: (weights or SOURCE_WEIGHTS).get(part.name, 1.0) for part in parts},
        "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 1),
        "sources": {},
    }
    calibration = None
    for part, offset in zip(parts, offsets):
        public = {k: v for k, v in part.info.items() if not k.startswith("_")}
        local = scores[offset : offset + len(part.features)]
        winners, losers, weights_ = part.val
        val_pairs = PairSet(
            local,
            np.asarray(winners, dtype=np.int64),
            np.asarray(losers, dtype=np.int64),
            np.asarray(weights_, dtype=np.float32),
        )
        public["val_pairwise"] = pairwise_accuracy_of(local, val_pairs) if len(val_pairs) else None
        if "_val_bursts" in part.info:
            hits = [
                rows[int(np.argmax(local[rows]))] == best
                for rows, best in zip(part.info["_val_bursts"], part.info["_val_best"])
            ]
            public["val_top1"] = float(np.mean(hits)) if hits else None
        if "_mos" in part.info:
            mos, train, val = part.info["_mos"], part.info["_train"], part.info["_val"]
            public["train_spearman"] = float(spearmanr(local[train], mos[train]).statistic)
            if len(val):
                public["val_spearman"] = float(spearmanr(local[val], mos[val]).statistic)
            calibration = fit_calibration(local[train], mos[train])
        info["sources"][part.name] = {**public, "pairs": {"train": len(part.train[0]), "val": len(part.val[0])}}
    if calibration is None:  # no human scores: spread the synthetic frames' scores over 0-100
        calibration = fit_calibration(scores, None)
    info["quality_calibration"] = calibration
    return model, train_config, info


def pairwise_accuracy_of(scores: np.ndarray, pairs: PairSet) -> float:
    """Weighted share of `pairs` whose winner has the higher score (ties count half)."""
    diff = scores[pairs.winners] - scores[pairs.losers]
    correct = (diff > 0).astype(np.float64) + 0.5 * (diff == 0)
    return float((correct * pairs.weights).sum() / pairs.weights.sum())


def collect(ctx: BuildContext, sources: Sequence[Source] = ()) -> list[SourcePairs]:
    """Every source's pairs (a source whose data is absent gives none)."""
    return [part for source in (sources or SOURCES) if (part := source(ctx)) is not None]


def build(
    out: Path,
    work: Path,
    *,
    photos_dir: Path,
    bursts_per_photo: int,
    seed: int,
    quiet: bool = False,
    sources: Sequence[Source] = (),
    **options: Any,
) -> dict[str, Any]:
    config = default_config()
    catalog = Catalog(work / "catalog.db")
    ctx = BuildContext(
        config, work, seed, quiet, catalog, {"photos_dir": photos_dir, "bursts_per_photo": bursts_per_photo, **options}
    )
    parts = collect(ctx, sources)
    catalog.close()
    model, train_config, report = train_default(parts, config, seed, quiet=quiet)
    info: dict[str, Any] = {
        "name": "default",
        "built_by": "python -m ranker.default_model",
        "seed": seed,
        "features": list(FEATURES),
        "burst_context": list(BURST_CONTEXT),
        **{k: v for k, v in report.items() if k not in ("best_epoch", "seconds")},
    }
    scenes = report["sources"].get("synthetic bursts", {})
    if "training_photos" in scenes:
        info["training_photos"] = scenes["training_photos"]
        info["held_out_photos"] = scenes["held_out_photos"]
    save_checkpoint(out, model, train_config.to_dict(), info)
    return {**info, "best_epoch": report["best_epoch"], "seconds": report["seconds"]}


def main(argv: list[str] | None = None) -> int:
    from ranker.ml.active_model import default_checkpoint_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_checkpoint_path())
    parser.add_argument("--photos", type=Path, default=training_photos_dir())
    parser.add_argument("--bursts-per-photo", type=int, default=4)
    parser.add_argument(
        "--clive", type=Path, help="CLIVE folder (default: PHOTOTRIAGE_CLIVE or ../shared/data/clive_dev)"
    )
    parser.add_argument("--no-clive", action="store_true", help="train on synthetic bursts only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="phototriage-default-") as work:
        report = build(
            args.out,
            Path(work),
            photos_dir=args.photos,
            bursts_per_photo=args.bursts_per_photo,
            seed=args.seed,
            quiet=args.quiet,
            clive_root=args.clive,
            no_clive=args.no_clive,
        )
    print(json.dumps(report, indent=2, default=str))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
