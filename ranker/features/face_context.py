"""Faces judged against their burst: the same person matched across frames, each frame's eyes and focus
set against that person's best frame (model features, and the verdicts the user sees)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ranker.features.faces import Face, unpack

#: A frame's eyes count as closed when they are open less than this share of the person's most open
#: frame in the burst (the user's strictness preference moves it; see BLINK_STRICTNESS).
DEFAULT_BLINK_RATIO = 0.6
BLINK_STRICTNESS = {"lenient": 0.45, "normal": DEFAULT_BLINK_RATIO, "strict": 0.75}
#: Eye aspect ratio of an ordinary open eye (the iris model on real open frames: 0.25-0.35). A photo
#: alone, with no frame of the same person to compare with, is judged against it.
TYPICAL_OPEN_EYE = 0.28
#: A face this much (log10 of detail energy, i.e. 2.2x) below the same person's sharpest frame is soft.
SOFT_DROP = 0.35
#: Boxes of one person in consecutive frames overlap at least this much (intersection over union)...
MATCH_IOU = 0.3
#: ...or their centres are closer than this share of the face's width (a quick turn of the head).
MATCH_CENTRE = 0.5

#: Per photo, what the model sees: [people judged (0/1), worst eyes deficit, mean eyes deficit, share of
#: people with eyes closed, worst face-sharpness drop, worst eye-sharpness drop, worst face-exposure
#: departure (EV), share of the burst's people not found in this frame].
CONTEXT_FIELDS = (
    "people",
    "eyes_deficit_max",
    "eyes_deficit_mean",
    "eyes_closed_share",
    "face_soft_max",
    "eye_soft_max",
    "face_exposure_off",
    "people_missing",
)
CONTEXT_DIM = len(CONTEXT_FIELDS)


@dataclass(frozen=True)
class FaceVerdict:
    """One face in one frame, judged against the same person in the rest of its burst."""

    face: Face
    person: int  # index of the person within the burst
    eyes_ratio: float | None  # openness over the person's best (or a typical open eye); None: unreadable
    sharpness_drop: float | None  # below the person's sharpest frame (log10); None: nothing to compare
    eyes_closed: bool
    soft: bool

    def to_json(self) -> dict[str, object]:
        f = self.face
        return {
            "box": [round(v, 4) for v in f.box],
            "person": self.person,
            "eye_openness": [round(f.eye_left, 4), round(f.eye_right, 4)] if f.eyes_valid else None,
            "eyes_open_vs_best": None if self.eyes_ratio is None else round(self.eyes_ratio, 3),
            "eyes_closed": self.eyes_closed,
            "face_sharpness": round(f.face_sharpness, 4),
            "eye_sharpness": round(f.eye_sharpness, 4),
            "sharpness_below_best": None if self.sharpness_drop is None else round(self.sharpness_drop, 3),
            "soft": self.soft,
            "face_brightness_ev": round(f.face_brightness, 3),
        }


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _same_place(a: Sequence[float], b: Sequence[float]) -> float:
    """How well two boxes could be one person a moment apart: IoU, or failing that a near-centre score."""
    iou = _iou(a, b)
    if iou >= MATCH_IOU:
        return 1.0 + iou
    width = 0.5 * ((a[2] - a[0]) + (b[2] - b[0]))
    dist = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    return 1.0 - dist / (MATCH_CENTRE * width) if width > 0 and dist < MATCH_CENTRE * width else 0.0


def match_people(frames: Sequence[Sequence[Face]]) -> list[list[int]]:
    """A person index for every face of every frame: frames in burst order, each face joined to the
    best-placed person last seen in an earlier frame (greedy, one face per person per frame)."""
    last_box: list[tuple[float, ...]] = []
    people: list[list[int]] = []
    for faces in frames:
        candidates = sorted(
            ((_same_place(face.box, box), i, p) for i, face in enumerate(faces) for p, box in enumerate(last_box)),
            reverse=True,
        )
        assigned: dict[int, int] = {}
        taken: set[int] = set()
        for score, i, p in candidates:
            if score > 0 and i not in assigned and p not in taken:
                assigned[i] = p
                taken.add(p)
        ids = []
        for i, face in enumerate(faces):
            if i not in assigned:
                assigned[i] = len(last_box)
                last_box.append(face.box)
            last_box[assigned[i]] = face.box
            ids.append(assigned[i])
        people.append(ids)
    return people


def judge_burst(frames: Sequence[Sequence[Face]], blink_ratio: float = DEFAULT_BLINK_RATIO) -> list[list[FaceVerdict]]:
    """Every face of every frame judged against the same person's best frame in the burst."""
    people = match_people(frames)
    best_eyes: dict[int, float] = {}
    best_sharp: dict[int, float] = {}
    seen: dict[int, int] = {}
    for faces, ids in zip(frames, people):
        for face, p in zip(faces, ids):
            seen[p] = seen.get(p, 0) + 1
            best_sharp[p] = max(best_sharp.get(p, -9.0), face.face_sharpness)
            if face.eyes_valid:
                best_eyes[p] = max(best_eyes.get(p, 0.0), face.eye_openness)
    verdicts = []
    for faces, ids in zip(frames, people):
        row = []
        for face, p in zip(faces, ids):
            ratio = None
            if face.eyes_valid:
                # Alone, or squinting in every frame: a typical open eye is the reference, so a
                # person who never opened their eyes wide still gets no false blink.
                reference = best_eyes[p] if seen[p] > 1 else TYPICAL_OPEN_EYE
                ratio = min(face.eye_openness / max(reference, 0.6 * TYPICAL_OPEN_EYE), 1.5)
            drop = best_sharp[p] - face.face_sharpness if seen[p] > 1 else None
            row.append(
                FaceVerdict(
                    face,
                    p,
                    ratio,
                    drop,
                    ratio is not None and ratio < blink_ratio,
                    drop is not None and drop > SOFT_DROP,
                )
            )
        verdicts.append(row)
    return verdicts


def face_signals(verdicts: Sequence[FaceVerdict] | None) -> dict[str, float]:
    """A photo's face verdicts as rank signals: people found, how many blink, how many are soft, and
    the least open eyes relative to their best frame. Empty for a photo not analysed for faces."""
    if verdicts is None:
        return {}
    signals = {"faces": float(len(verdicts))}
    if verdicts:
        signals["eyes_closed"] = float(sum(v.eyes_closed for v in verdicts))
        signals["faces_soft"] = float(sum(v.soft for v in verdicts))
        ratios = [v.eyes_ratio for v in verdicts if v.eyes_ratio is not None]
        if ratios:
            signals["eyes_open"] = float(min(ratios))
    return signals


def burst_face_context(vectors: np.ndarray, bursts: Sequence[Sequence[int]]) -> np.ndarray:
    """(N, faces.DIM) `faces` vectors → (N, CONTEXT_DIM) per-photo face features against the burst.

    Photos without faces, photos alone, and people seen in only one frame give zeros: nothing to
    compare with, so they rank on their other features exactly as a faceless photo would."""
    context = np.zeros((len(vectors), CONTEXT_DIM), dtype=np.float32)
    for members in bursts:
        rows = list(members)
        if len(rows) < 2:
            continue
        frames = [unpack(vectors[r]) for r in rows]
        verdicts = judge_burst(frames)
        persons = {v.person for row in verdicts for v in row}
        counts = {p: sum(1 for row in verdicts for v in row if v.person == p) for p in persons}
        recurring = {p for p, n in counts.items() if n > 1}
        if not recurring:
            continue
        best_eye_sharp = {}
        median_light = {}
        for p in recurring:
            mine = [v.face for row in verdicts for v in row if v.person == p]
            best_eye_sharp[p] = max(f.eye_sharpness for f in mine)
            median_light[p] = float(np.median([f.face_brightness for f in mine]))
        for r, row in zip(rows, verdicts):
            judged = [v for v in row if v.person in recurring]
            deficits = [max(0.0, 1.0 - v.eyes_ratio) for v in judged if v.eyes_ratio is not None]
            context[r] = [
                1.0,
                max(deficits, default=0.0),
                float(np.mean(deficits)) if deficits else 0.0,
                float(np.mean([v.eyes_closed for v in judged])) if judged else 0.0,
                min(2.0, max((v.sharpness_drop or 0.0 for v in judged), default=0.0)),
                min(2.0, max((best_eye_sharp[v.person] - v.face.eye_sharpness for v in judged), default=0.0)),
                max((abs(v.face.face_brightness - median_light[v.person]) for v in judged), default=0.0),
                1.0 - len({v.person for v in judged}) / len(recurring),
            ]
    return context
