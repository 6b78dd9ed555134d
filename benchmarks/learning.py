"""Personal learning: can `phototriage learn` pick up a taste the default model does not have?

    python -m benchmarks.learning [--quick] [--taste brighter|muted|all] [--json FILE] [--work DIR] [--base FILE]

A simulated user with a hidden taste judges pairs of frames from bursts whose frames differ ONLY in
that taste (no defects: hand-held reframing and one global tone change per frame):

* brighter — prefers the brighter frame (exposure shifts of ±0.45 EV in linear light, 0.15 EV steps)
* muted    — prefers the less saturated, more natural-looking frame (saturation ×0.7 … ×1.3, luma kept)

The default model sees photos only through iqa (sharpness, exposure, colourfulness, contrast), noise and
clipping features, so the taste must be expressible in them: brightness moves exposure, contrast and
highlight/shadow clipping; saturation moves colourfulness. Warmth is NOT representable (no feature
measures white balance; colourfulness does not tell warm from cool), which is why it is not offered.

The user's choices come from one set of scenes; agreement with the hidden taste is measured on bursts of
OTHER scenes. Each row fine-tunes the default checkpoint from scratch on the first N choices (as the user
would, re-learning from everything so far), through the same held-out gate as `phototriage learn`;
'active' is what ranking would use after the gate (the default when the gate refuses). Technical rows check
that clean frames still beat blurred (shake, defocus) and noisy frames of synthetic 'clear' and 'subtle'
bursts (ranker.datasets.synthetic), i.e. that learning a taste did not cost the defect detection.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import command_line, describe_machine, in_work_dir, log, machine, markdown_table, write_json

CURVE = (0, 25, 50, 100, 200)
TIMING_PAIRS = 500
FRAMES = 5
TASTES = {
    # name: (levels, the user prefers higher levels?, sentence for the report)
    "brighter": (
        (-0.45, -0.3, -0.15, 0.0, 0.15, 0.3, 0.45),
        True,
        "prefers the brighter frame (±0.45 EV); visible to the model through exposure, contrast and clipping",
    ),
    "muted": (
        (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        False,
        "prefers the less saturated frame (saturation ×0.7…×1.3, luma unchanged); visible through colourfulness",
    ),
}


def _sources(colour_only: bool) -> list[tuple[str, Image.Image]]:
    from ranker.datasets.synthetic import iter_sources, training_photos_dir

    photos = list(iter_sources())
    photos += [(p.stem, Image.open(p).convert("RGB")) for p in sorted(training_photos_dir().glob("*.jpg"))]
    if colour_only:  # saturation means nothing to a grey picture
        photos = [(n, im) for n, im in photos if np.asarray(im, dtype=np.float32).std(axis=2).mean() > 3]
    return photos


def tone(image: Image.Image, taste: str, level: float) -> Image.Image:
    """One global change, as camera auto-exposure / picture styles make between frames of a burst."""
    from ranker.datasets.synthetic import Defect, apply_defect

    if taste == "brighter":
        if level == 0:
            return image.copy()
        return apply_defect(image, Defect("over" if level > 0 else "under", abs(level)), np.random.default_rng(0))
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    luma = (rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))[..., None]
    return Image.fromarray((np.clip(luma + level * (rgb - luma), 0, 1) * 255 + 0.5).astype(np.uint8))


def write_taste_bursts(
    dest: Path, sources, rounds: int, taste: str, rng: np.random.Generator, size: tuple[int, int]
) -> list[list[tuple[str, float]]]:
    """Bursts of FRAMES frames of one scene, each at a different taste level: [[(file, level)]]."""
    from ranker.datasets.synthetic import exif_bytes, handheld_frame

    levels = TASTES[taste][0]
    dest.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(2024, 6, 1, 9, 0, 0)
    bursts, counter = [], 1
    for _ in range(rounds):
        for _name, source in sources:
            long_side = int(rng.integers(*size))
            base = source.copy()
            base.thumbnail((int(long_side * 1.2), int(long_side * 1.2)))  # handheld_frame then crops at long_side
            burst = []
            for level in rng.choice(levels, size=FRAMES, replace=False):
                frame = tone(handheld_frame(base, rng, long_side), taste, float(level))
                path = dest / f"IMG_{counter:04d}.JPG"
                frame.save(path, quality=92, exif=exif_bytes(when))
                burst.append((str(path), float(level)))
                counter += 1
                when += dt.timedelta(milliseconds=300)
            bursts.append(burst)
            when += dt.timedelta(seconds=60)
    return bursts


def rank(catalog, folder: Path, model: Path) -> None:
    """Scan and group as `rank` does: learning sets each photo against its stored burst."""
    from ranker.culling.pipeline import rank_shoot, run

    ranking = run(rank_shoot(folder, catalog, model_path=model))
    if ranking.errors:
        raise SystemExit(f"could not read synthetic frames: {list(ranking.errors)[:3]}")


def taste_pairs(catalog, bursts, prefers_higher: bool) -> list[tuple[int, int]]:
    """(winner id, loser id) for every pair of frames of a burst, by the hidden taste."""
    pairs = []
    for burst in bursts:
        ids = [(catalog.photo_for_path(Path(p)), level) for p, level in burst]
        for i, (a, la) in enumerate(ids):
            for b, lb in ids[i + 1 :]:
                if la != lb:
                    better = (la > lb) == prefers_higher
                    pairs.append((a, b) if better else (b, a))
    return pairs


def technical_pairs(catalog, folder: Path, truth) -> dict[str, list[tuple[int, int]]]:
    """{'blur': [(clean, blurred)], 'noise': [(clean, noisy)]} from ranker.datasets.synthetic bursts."""
    result: dict[str, list[tuple[int, int]]] = {"blur": [], "noise": []}
    for burst in truth:
        clean = catalog.photo_for_path(folder / burst["best"])
        for name, defect in zip(burst["files"], burst["defects"]):
            kind = defect.split(":")[0]
            key = "blur" if kind in ("shake", "defocus") else "noise" if kind == "noise" else None
            if key:
                result[key].append((clean, catalog.photo_for_path(folder / name)))
    return result


class Scorer:
    """Agreement of a model with (winner, loser) pairs of catalog photos, on cached features."""

    def __init__(self, catalog, config):
        self.catalog, self.config, self.cache = catalog, config, {}

    def features(self, ids) -> np.ndarray:
        from ranker.culling.scoring import photo_inputs

        missing = [i for i in ids if i not in self.cache]
        if missing:
            self.cache.update(zip(missing, photo_inputs(self.catalog, missing, self.config)))
        return np.asarray([self.cache[i] for i in ids], dtype=np.float32)

    def agreement(self, model, pairs) -> float:
        from ranker.ml.training import score_features

        ids = sorted({i for p in pairs for i in p})
        scores = dict(zip(ids, score_features(model, self.features(ids))))
        diff = np.asarray([scores[w] - scores[loser] for w, loser in pairs])
        return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller bursts (about a minute)")
    parser.add_argument("--taste", choices=[*sorted(TASTES), "all"], default="all")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON ('-' for stdout)")
    parser.add_argument("--work", type=Path, help="keep the generated shoots and catalog here")
    parser.add_argument("--base", type=Path, help="fine-tune this checkpoint instead of the shipped default")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    return in_work_dir(args.work, "phototriage-bench-learning-", lambda work: _main(args, work, argv))


def _main(args, work: Path, argv) -> dict:
    from ranker.datasets.synthetic import iter_sources, write_shoot
    from ranker.ml.active_model import default_checkpoint_path
    from ranker.ml.checkpoint import load_checkpoint
    from ranker.store.catalog import Catalog

    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    size = (224, 320) if args.quick else (320, 512)
    default = load_checkpoint(args.base or default_checkpoint_path())
    catalog = Catalog(work / "catalog.db")
    tech_truth = {
        f"{level}{r}": write_shoot(
            work / f"tech-{level}{r}", list(iter_sources()), rng, level=level, frames=FRAMES, size=size[1]
        )
        for level in ("clear", "subtle")
        for r in range(1 if args.quick else 3)
    }
    for key in tech_truth:
        rank(catalog, work / f"tech-{key}", default.path)
    technical: dict[str, list] = {"blur": [], "noise": []}
    for key, truth in tech_truth.items():
        for kind, pairs in technical_pairs(catalog, work / f"tech-{key}", truth).items():
            technical[kind] += pairs
    log(f"technical bursts ready after {time.perf_counter() - started:.0f} s")
    scorer = Scorer(catalog, default.model.config)
    tastes = sorted(TASTES) if args.taste == "all" else [args.taste]
    info = machine("cpu")
    data = {
        "command": command_line("benchmarks.learning", argv),
        "machine": info,
        "quick": args.quick,
        "seed": args.seed,
        "technical_pairs": {k: len(v) for k, v in technical.items()},
        "tastes": {},
    }
    for taste in tastes:
        data["tastes"][taste] = run_taste(args, taste, work / taste, catalog, default, scorer, technical, size, rng)
    catalog.close()
    print(
        f"The model fine-tuned ({default.label}) sees photos only through "
        f"{' + '.join(default.feature_labels)} features, so a taste must be expressible in them: "
        "brightness (exposure, contrast, clipping) and saturation (colourfulness) are; warmth is not (no feature "
        "measures white balance, and colourfulness does not tell warm from cool)."
    )
    print(f"\nMachine: {describe_machine(info)}. Total {time.perf_counter() - started:.0f} s.")
    write_json(args.json, data)
    return data


def run_taste(args, taste, work, catalog, default, scorer, technical, size, rng) -> dict:
    import torch

    from ranker.culling.pipeline import run
    from ranker.learning import FineTuneConfig, TrainingPair, fine_tune

    started = time.perf_counter()
    _levels, prefers_higher, description = TASTES[taste]
    sources = _sources(colour_only=taste == "muted")
    order = rng.permutation(len(sources))
    user_scenes = [sources[i] for i in order[::2]]  # choices are made on these scenes ...
    eval_scenes = [sources[i] for i in order[1::2]]  # ... agreement is measured on these
    user_rounds = max(1, -(-TIMING_PAIRS // (len(user_scenes) * FRAMES * (FRAMES - 1) // 2)))
    user_bursts = write_taste_bursts(work / "user", user_scenes, user_rounds, taste, rng, size)
    eval_bursts = write_taste_bursts(work / "eval", eval_scenes, 1 if args.quick else 3, taste, rng, size)
    for folder in ("user", "eval"):
        rank(catalog, work / folder, default.path)
    log(f"{taste}: {sum(map(len, user_bursts + eval_bursts))} frames ready in {time.perf_counter() - started:.0f} s")
    choices = taste_pairs(catalog, user_bursts, prefers_higher)
    rng.shuffle(choices)  # the order the simulated user answers in
    evaluation = taste_pairs(catalog, eval_bursts, prefers_higher)

    def measure(model) -> dict:
        return {
            "taste": scorer.agreement(model, evaluation),
            "blur": scorer.agreement(model, technical["blur"]),
            "noise": scorer.agreement(model, technical["noise"]),
        }

    def simulated(count: int) -> list:
        return [TrainingPair(w, loser, "choice", f"simulated #{i + 1}") for i, (w, loser) in enumerate(choices[:count])]

    config = FineTuneConfig(save=False, activate=False, seed=args.seed)
    rows, records = [], []
    baseline = measure(default.model)
    for count in CURVE:
        if count == 0:
            record = {"choices": 0, "gate": "default model", **{f"active_{k}": v for k, v in baseline.items()}}
        else:
            result = run(fine_tune(catalog, simulated(count), base=default, config=config))
            learned = measure(result.model)
            active = learned if result.passed else baseline
            record = {
                "choices": count,
                "held_out": result.held_out,
                "held_out_before": result.before,
                "held_out_after": result.after,
                "gate": "passed" if result.passed else "refused",
                "seconds": result.seconds,
                "twins": result.twins,
                **{f"learned_{k}": v for k, v in learned.items()},
                **{f"active_{k}": v for k, v in active.items()},
            }
        records.append(record)
        held = (
            f"{record['held_out_before']:.0%} → {record['held_out_after']:.0%} (n={record['held_out']})"
            if count
            else "-"
        )
        rows.append(
            [
                count,
                held,
                record["gate"],
                f"{record['learned_taste']:.1%}" if count else "-",
                f"{record['active_taste']:.1%}",
                f"{record['active_blur']:.1%}",
                f"{record['active_noise']:.1%}",
                f"{record['seconds']:.2f}" if count else "-",
            ]
        )
        log(f"{taste}, {count} choices: {rows[-1]}")

    # Timing: the whole fine-tune (features, twins, training, gate) on TIMING_PAIRS choices, this machine.
    result = run(fine_tune(catalog, simulated(TIMING_PAIRS), base=default, config=config))
    timing = {
        "pairs": min(TIMING_PAIRS, len(choices)),
        "seconds": result.seconds,
        "torch_threads": torch.get_num_threads(),
        "epochs": len(result.history),
    }
    header = [
        "choices",
        "held-out agreement before → after",
        "gate",
        "learned model: taste",
        "active model: taste",
        "active: clean > blurred",
        "active: clean > noisy",
        "fine-tune s",
    ]
    print(f"## Personal learning — simulated taste: {taste} (base: {default.label})\n")
    print(
        f"The simulated user {description}. Taste agreement: {len(evaluation)} pairs from {len(eval_bursts)} "
        f"bursts of scenes no choice came from. Technical: {len(technical['blur'])} blurred and "
        f"{len(technical['noise'])} noisy frames against the clean frame of their synthetic burst. "
        "'active' = what ranking uses after the held-out gate (the default when it refuses).\n"
    )
    print(markdown_table(header, rows))
    print(
        f"\nFine-tuning on {timing['pairs']} choices took {timing['seconds']:.2f} s "
        f"({timing['epochs']} epochs; training uses one torch thread).\n"
    )
    return {
        "description": description,
        "curve": records,
        "timing": timing,
        "eval_pairs": len(evaluation),
        "choices_available": len(choices),
    }


if __name__ == "__main__":
    main()
