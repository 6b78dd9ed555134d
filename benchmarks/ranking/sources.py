"""The held-out photos the benchmark's bursts are made from (none the default checkpoint was built from)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import SHARED_PHOTOS

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
#: a --photos picture this similar (16×16 descriptor cosine) to a training photo is left out
OVERLAP_SIMILARITY = 0.85


@dataclass
class Sources:
    photos: list[tuple[str, Image.Image]]
    excluded: list[str] = field(default_factory=list)  # --photos files left out (training overlap)


def _descriptor(image: Image.Image) -> np.ndarray:
    from ranker.features.descriptor import DescriptorExtractor

    return DescriptorExtractor().extract([image])[0]


def training_descriptors() -> tuple[set[str], np.ndarray]:
    """Names and appearance descriptors of every photo the default checkpoint was built from."""
    from ranker.datasets.synthetic import training_photos_dir
    from ranker.io.images import load_image
    from ranker.io.load_errors import ImageLoadError
    from ranker.ml.active_model import default_checkpoint_path
    from ranker.ml.checkpoint import load_checkpoint

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
    from ranker.datasets.synthetic import SKIMAGE_PHOTOS, iter_sources
    from ranker.default_model import TRAINING_SKIMAGE
    from ranker.io.images import is_supported, load_image
    from ranker.io.load_errors import ImageLoadError

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
