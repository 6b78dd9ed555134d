"""Small generated shoots with a known best frame per burst, for pipeline and CLI tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from ranker.datasets.synthetic import Defect, apply_defect, exif_bytes, handheld_frame, skimage_photo

SOURCES = ("astronaut", "chelsea", "coffee", "rocket", "camera", "motorcycle_left")
#: defects the default model must rank below the clean frame (blur in px at 1024 px long side: 9 px and
#: 3 px of blur on these 384-px frames, as before blur strengths became resolution-relative)
DEFECTS = (
    Defect("shake", 24.0),
    Defect("defocus", 8.0),
    Defect("noise", 0.07),
    Defect("under", 1.5),
    Defect("over", 1.2),
)
#: frames per burst of a known shoot: the clean one and one per defect
FRAMES = len(DEFECTS) + 1


def write_known_shoot(
    dest: Path, sources=SOURCES, size: int = 384, seed: int = 0, start: dt.datetime = dt.datetime(2024, 5, 4, 9, 0, 0)
) -> dict[str, str]:
    """One burst per source: the clean frame plus each defect, shuffled, 0.3 s apart; bursts a minute apart.
    Returns {burst's first file name: best file name}."""
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    when = start
    best: dict[str, str] = {}
    counter = 1
    for name in sources:
        source = skimage_photo(name)
        defects = [Defect("clean", 0.0), *DEFECTS]
        first = None
        for index in rng.permutation(len(defects)):
            path = dest / f"DSC_{counter:04d}.JPG"
            image = apply_defect(handheld_frame(source, rng, size), defects[index], rng)
            image.save(path, quality=92, exif=exif_bytes(when))
            first = first or path.name
            if defects[index].kind == "clean":
                best[first] = path.name
            counter += 1
            when += dt.timedelta(milliseconds=300)
        when += dt.timedelta(seconds=60)
    return best
