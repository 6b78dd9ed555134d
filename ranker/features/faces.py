"""Per-face signals (box, eye openness per eye, face and eye sharpness, face exposure) as one cached feature."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from PIL import Image

from ranker.features import filters
from ranker.features.base import FeatureExtractor
from ranker.features.iqa import ANALYSIS_SIZE, LINEAR8, brightness_of, exposure, luminance

if TYPE_CHECKING:  # the landmark models load LiteRT: imported only when a face is analysed
    from ranker.features.face_landmarks import EyeLandmarks, FaceLandmarks

#: Faces kept per photo, largest first: a group shot's background crowd adds nothing to the verdict.
MAX_FACES = 6
#: Per face: box x0 y0 x1 y1 (0-1 of the image), detector score, eye aspect ratio of the image-left and
#: image-right eye, eyes readable (1/0), face sharpness, eye sharpness, face brightness (EV), face
#: well-exposedness.
FIELDS = (
    "x0",
    "y0",
    "x1",
    "y1",
    "score",
    "eye_left",
    "eye_right",
    "eyes_valid",
    "face_sharpness",
    "eye_sharpness",
    "face_brightness",
    "face_exposure",
)
PER_FACE = len(FIELDS)
DIM = 1 + MAX_FACES * PER_FACE  # the first value is how many faces were found (before the cap)

#: Sharpness is measured on the face resampled to this width, so a face that fills the frame and one a
#: fifth of its size are judged at the same scale (and a big face is not "sharper" for having more pixels).
FACE_NORM = 96
#: Eyes narrower than this (pixels in the analysed image) give the iris model too little to see a lid.
MIN_EYE_WIDTH = 6.0


@dataclass(frozen=True)
class Face:
    """One face's signals, as stored in the `faces` feature vector."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the image
    score: float
    eye_left: float  # eye aspect ratio; 0 when not readable
    eye_right: float
    eyes_valid: bool
    face_sharpness: float
    eye_sharpness: float
    face_brightness: float
    face_exposure: float

    @property
    def eye_openness(self) -> float:
        """Both eyes' aspect ratio, the more open one counted more: a face turned aside foreshortens
        one eye, and a wink is not a blink."""
        return 0.25 * min(self.eye_left, self.eye_right) + 0.75 * max(self.eye_left, self.eye_right)

    def to_row(self) -> list[float]:
        return [
            *self.box,
            self.score,
            self.eye_left,
            self.eye_right,
            float(self.eyes_valid),
            self.face_sharpness,
            self.eye_sharpness,
            self.face_brightness,
            self.face_exposure,
        ]


def unpack(vector: np.ndarray) -> list[Face]:
    """The faces stored in one `faces` feature vector."""
    vector = np.asarray(vector, dtype=np.float64)
    count = min(int(round(vector[0])), MAX_FACES)
    faces = []
    for i in range(count):
        row = vector[1 + i * PER_FACE : 1 + (i + 1) * PER_FACE]
        faces.append(
            Face(
                cast("tuple[float, float, float, float]", tuple(float(v) for v in row[:4])),  # a row is PER_FACE long
                float(row[4]),
                float(row[5]),
                float(row[6]),
                bool(row[7] > 0.5),
                float(row[8]),
                float(row[9]),
                float(row[10]),
                float(row[11]),
            )
        )
    return faces


def pack(faces: Sequence[Face], found: int | None = None) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[0] = len(faces) if found is None else found
    for i, face in enumerate(faces[:MAX_FACES]):
        vector[1 + i * PER_FACE : 1 + (i + 1) * PER_FACE] = face.to_row()
    return vector


class _Pixels:
    """A photo's pixels as the face measurements read them: 0-1 float RGB and its luma, converted only
    where a face or an eye is measured (converting the whole decode cost more than the face models)."""

    def __init__(self, image: Image.Image):
        self.rgb8 = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        self.height, self.width = self.rgb8.shape[:2]

    def rgb(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        rgb = self.rgb8[y0:y1, x0:x1].astype(np.float32)
        rgb /= 255.0
        return rgb

    def luma(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        return luminance(self.rgb(y0, y1, x0, x1))


def _resample(pixels: _Pixels, box: tuple[float, float, float, float], width: int, height: int) -> np.ndarray:
    """The box (pixels) of the luma plane at a fixed size; boxes are clipped to the image."""
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(pixels.width, int(np.ceil(box[2]))), min(pixels.height, int(np.ceil(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((height, width), dtype=np.float32)
    crop = Image.fromarray(pixels.luma(y0, y1, x0, x1))
    return np.asarray(crop.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def local_sharpness(patch: np.ndarray) -> float:
    """log10 of the Laplacian energy of the lightly pre-blurred patch over its contrast (luma variance).

    The pre-blur (σ≈1 px) keeps JPEG blocking and sensor grain from counting as detail; dividing by
    the patch's own variance makes a dim face and a bright one comparable, so what is measured is how
    much of the face's contrast sits in fine detail (lashes, pores, hair), which is what defocus and
    motion take away."""
    if patch.size == 0 or float(patch.var()) < 1e-6:
        return -9.0
    energy = float((filters.laplacian(filters.smooth(patch))[2:-2, 2:-2] ** 2).mean())
    return float(np.log10(max(energy, 1e-9) / float(patch.var())))


def _eyes_box(face: FaceLandmarks, pad: float = 0.35) -> tuple[float, float, float, float]:
    assert face.left_eye is not None and face.right_eye is not None  # analyse asks only when both were found
    points = np.concatenate([face.left_eye.lower, face.left_eye.upper, face.right_eye.lower, face.right_eye.upper])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    mx, my = (x1 - x0) * pad, max((y1 - y0), (x1 - x0) * 0.15) * (1 + pad)
    return float(x0 - mx), float(y0 - my), float(x1 + mx), float(y1 + my)


def _readable(eye: EyeLandmarks | None, pixels: _Pixels, face_level: float) -> bool:
    """Eyes whose lids can be judged: wide enough, and not behind dark glasses (an eye region far
    darker than the face and almost flat is a lens, where the iris model's lids mean nothing)."""
    if eye is None or eye.width < MIN_EYE_WIDTH:
        return False
    points = np.concatenate([eye.lower, eye.upper])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    patch = _resample(pixels, (x0, y0 - 0.2 * (x1 - x0), x1, y1 + 0.2 * (x1 - x0)), 24, 12)
    return not (float(patch.mean()) < 0.45 * face_level and float(patch.std()) < 0.05)


def analyse(image: Image.Image) -> list[Face]:
    """Every face's signals in an RGB image (largest first)."""
    from ranker.features.face_landmarks import detect_faces

    found = detect_faces(image)
    if not found:
        return []
    pixels = _Pixels(image)
    w, h = image.size
    faces = []
    for face in found:
        x0, y0, x1, y1 = face.box
        face_luma = _resample(pixels, face.box, FACE_NORM, max(8, round(FACE_NORM * (y1 - y0) / max(x1 - x0, 1e-6))))
        level = float(np.median(face_luma))
        left_ok = _readable(face.left_eye, pixels, level)
        right_ok = _readable(face.right_eye, pixels, level)
        valid = face.mesh is not None and left_ok and right_ok
        eye_sharp = -9.0
        if face.left_eye is not None and face.right_eye is not None:
            eye_sharp = local_sharpness(_resample(pixels, _eyes_box(face), FACE_NORM, FACE_NORM // 3))
        # the face's own pixels: brightness through iqa's uint8 table (the sRGB curve's very numbers)
        crop_box = (max(0, int(y0)), max(1, int(np.ceil(y1))), max(0, int(x0)), max(1, int(np.ceil(x1))))
        crop8 = pixels.rgb8[crop_box[0] : crop_box[1], crop_box[2] : crop_box[3]]
        faces.append(
            Face(
                box=(x0 / w, y0 / h, x1 / w, y1 / h),
                score=face.score,
                # an eye that is readable was found (_readable is False for None)
                eye_left=face.left_eye.aspect_ratio if left_ok and face.left_eye is not None else 0.0,
                eye_right=face.right_eye.aspect_ratio if right_ok and face.right_eye is not None else 0.0,
                eyes_valid=valid,
                face_sharpness=local_sharpness(face_luma),
                eye_sharpness=eye_sharp,
                face_brightness=brightness_of(LINEAR8[crop8[::2, ::2]]) if crop8.size else 0.0,
                face_exposure=exposure(pixels.luma(*crop_box)) if crop8.size else 0.0,
            )
        )
    return faces


_face_cache: dict[int, np.ndarray] = {}


def face_vector(image: Image.Image) -> np.ndarray:
    """The `faces` feature of a decoded photo, computed once per image object (the decode pool runs
    it next to the quality signals; the extractor then only reads it)."""
    key = id(image)
    if key not in _face_cache:
        faces = analyse(image)
        _face_cache[key] = pack(faces, len(faces))
        weakref.finalize(image, _face_cache.pop, key, None)
    return _face_cache[key]


class FacesExtractor(FeatureExtractor):
    """Faces, eyes, and focus and exposure on the face (MediaPipe models on LiteRT, shipped inside the
    package). Models read it against the photo's burst (ranker.features.face_context): an eye aspect ratio
    means little alone, but a frame where a person's eyes are far less open than in that person's
    best frame of the burst is a blink."""

    name = "faces"
    dim = DIM
    version = "1"
    #: The detector sees 192 px whatever the decode, so faces under ~9% of the long side are missed at
    #: any size; the shared 512-px decode leaves a face of 20% of the frame ~100 px, enough for the
    #: lids (BENCHMARKS.md measures eye openness against face size). A larger decode would cost every
    #: photo, faces or not.
    decode_size = ANALYSIS_SIZE
    per_photo = True

    def check_available(self) -> None:
        from ranker.features.face_landmarks import models_dir

        models_dir()

    def extract(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.stack([face_vector(image) for image in images]).astype(np.float32).reshape(len(images), DIM)
