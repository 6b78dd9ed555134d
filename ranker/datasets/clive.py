"""LIVE In the Wild (CLIVE) photos with human mean opinion scores, split deterministically by file name.

Layout (as in ../shared/data/clive_dev): DIR/labels.csv (`image,mos,mos_std`), DIR/images/NAME, and
DIR/README.txt with the UT Austin copyright notice, which must travel with any copy of the images.
Nothing of the set is copied into this repository; code that uses it skips cleanly when it is absent.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ranker.errors import UsageError

#: split by the first byte of sha1(file name): 60% train, 20% validation, 20% test. A hash, not a
#: shuffle, so every branch, benchmark and rebuild agrees on the split without sharing a seed.
SPLITS = {"train": range(0, 154), "val": range(154, 205), "test": range(205, 256)}


@dataclass(frozen=True)
class MosPhoto:
    path: Path
    mos: float  # 0-100, higher is better
    mos_std: float


def default_root() -> Path:
    """PHOTOTRIAGE_CLIVE, else ../shared/data/clive_dev next to the checkout."""
    override = os.environ.get("PHOTOTRIAGE_CLIVE")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "clive_dev"


def split_of(name: str) -> str:
    bucket = hashlib.sha1(name.encode("utf-8")).digest()[0]
    return next(split for split, buckets in SPLITS.items() if bucket in buckets)


def is_available(root: Path | None = None) -> bool:
    root = root or default_root()
    return (root / "labels.csv").is_file() and (root / "images").is_dir()


def load(root: Path | None = None, split: str | None = None) -> list[MosPhoto]:
    """Every labelled photo (or one split's), in file-name order. Raises FileNotFoundError naming what is missing."""
    root = root or default_root()
    labels = root / "labels.csv"
    if not labels.is_file():
        raise FileNotFoundError(f"{labels}: no CLIVE labels (set PHOTOTRIAGE_CLIVE to the clive_dev folder)")
    if split is not None and split not in SPLITS:
        raise UsageError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    photos = []
    with labels.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["image"]
            if split is not None and split_of(name) != split:
                continue
            path = root / "images" / name
            if path.is_file():
                photos.append(MosPhoto(path, float(row["mos"]), float(row.get("mos_std") or 0.0)))
    return sorted(photos, key=lambda p: p.path.name)
