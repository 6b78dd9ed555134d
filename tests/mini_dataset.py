"""A miniature PhotoTriage release (same layout and pair-list format) where the preferred photo is
measurably better: every series is one scene, and each photo a differently blurred copy of it.

    train_val/train_val_imgs/SSSSSS-II.JPG, train_val/train_pairlist.txt, train_val/val_pairlist.txt
    test/test_imgs/SSSSSS-II.JPG, test/test_pairlist.txt

Series 1-8 are train, 9-10 val, 11-12 test (disjoint, as in the release). Series with 4 photos have
one ambiguous pair (P = 0.5) that the default band drops; every line has two extra columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: blur radius of each quality level, sharpest (best) first
BLUR_LEVELS = (0.0, 1.5, 3.0, 5.0)
SPLITS = {"train": range(1, 9), "val": range(9, 11), "test": range(11, 13)}


@dataclass
class MiniDataset:
    root: Path
    #: split → {"lines", "ambiguous", "series"}: what the generator wrote, for the tests' bookkeeping
    expected: dict[str, dict] = field(default_factory=dict)

    @property
    def image_dir(self) -> Path:
        return self.root / "train_val" / "train_val_imgs"

    @property
    def test_dir(self) -> Path:
        return self.root / "test" / "test_imgs"

    def pairlist(self, split: str) -> Path:
        return self.root / ("test/test_pairlist.txt" if split == "test" else f"train_val/{split}_pairlist.txt")


def scene(series: int, size: int = 160) -> Image.Image:
    """A deterministic scene with hard edges and texture (so blur shows in the sharpness signal)."""
    rng = np.random.default_rng(1000 + series)
    w, h = size, size * 3 // 4
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([60 + 120 * xx / w, 60 + 120 * yy / h, np.full((h, w), 110.0)], axis=-1)
    base += rng.normal(0, 6, (h, w, 1))
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        x1, y1 = x0 + int(rng.integers(8, 50)), y0 + int(rng.integers(8, 40))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), outline=colour, width=2)
    for x in range(4, w, 9):  # a line pattern: fine detail that blur visibly removes
        draw.line((x, 0, x, h // 6), fill=(20, 20, 20))
    return image


def write_mini_dataset(root: Path | str, *, with_test: bool = True, size: int = 160) -> MiniDataset:
    root = Path(root)
    dataset = MiniDataset(root)
    dataset.image_dir.mkdir(parents=True, exist_ok=True)
    if with_test:
        dataset.test_dir.mkdir(parents=True, exist_ok=True)
    for split, series_range in SPLITS.items():
        if split == "test" and not with_test:
            continue
        image_dir = dataset.test_dir if split == "test" else dataset.image_dir
        lines, ambiguous = [], 0
        for series in series_range:
            count = 4 if series % 2 == 0 else 3
            rng = np.random.default_rng(series)
            # photo i (1-based) gets quality level order[i-1]; 0 is the sharpest
            order = rng.permutation(count)
            base = scene(series, size)
            for index in range(1, count + 1):
                radius = BLUR_LEVELS[order[index - 1]]
                photo = base.filter(ImageFilter.GaussianBlur(radius)) if radius else base
                photo.save(image_dir / f"{series:06d}-{index:02d}.JPG", quality=92)
            for a, b in combinations(range(1, count + 1), 2):
                level_a, level_b = order[a - 1], order[b - 1]
                if count == 4 and {level_a, level_b} == {2, 3}:
                    p = 0.5  # the two blurriest look alike: reviewers split
                    ambiguous += 1
                elif level_b < level_a:  # B is sharper: most reviewers prefer it
                    p = round(float(rng.uniform(0.8, 1.0)), 6)
                else:
                    p = round(float(rng.uniform(0.0, 0.2)), 6)
                lines.append(f"{series} {a} {b} {p} {int(rng.integers(3, 9))} {int(rng.integers(3, 9))}")
        dataset.pairlist(split).write_text("\n".join(lines) + "\n", encoding="utf-8")
        dataset.expected[split] = {"lines": len(lines), "ambiguous": ambiguous, "series": len(series_range)}
    return dataset
