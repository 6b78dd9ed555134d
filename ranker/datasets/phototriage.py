"""The PhotoTriage dataset (Chang et al., CVPR 2016) read as published, with nothing dropped silently.

Release layout::

    DIR/train_val/train_val_imgs/SSSSSS-II.JPG
    DIR/train_val/train_pairlist.txt
    DIR/train_val/val_pairlist.txt
    DIR/test/test_imgs/SSSSSS-II.JPG        (optional)
    DIR/test/test_pairlist.txt              (optional, with test_imgs)

A pair-list line starts ``SERIES A B P`` (whitespace separated; further columns are ignored), where P
is the share of reviewers who preferred the second photo, B. Photos are ``f"{SERIES:06d}-{A:02d}.JPG"``.
Following the paper, pairs whose preference lies in the ambiguity band (0.3 <= P <= 0.7) are dropped.

Every line ends up in exactly one bucket of `SplitCounts`: used, outside the quick-experiment
selection, ambiguous, naming a missing image, or (after extraction) naming an unreadable one.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ranker.errors import UsageError

#: split → (image folder, pair list), relative to the dataset root, as in the published release
RELEASE_LAYOUT: dict[str, tuple[str, str]] = {
    "train": ("train_val/train_val_imgs", "train_val/train_pairlist.txt"),
    "val": ("train_val/train_val_imgs", "train_val/val_pairlist.txt"),
    "test": ("test/test_imgs", "test/test_pairlist.txt"),
}
REQUIRED_SPLITS = ("train", "val")
#: the paper's ambiguity band: pairs with 0.3 <= P <= 0.7 carry no reliable preference
DEFAULT_AMBIGUITY_BAND = (0.3, 0.7)
#: how many offending lines or files a message quotes before summarising the rest
QUOTE_LIMIT = 5


class DatasetError(UsageError):
    """The dataset cannot be used as given; the message names the file (and line) and what is wrong."""


def image_name(series: int, index: int) -> str:
    """The release's file name for photo `index` of `series`, e.g. image_name(12, 3) == '000012-03.JPG'."""
    return f"{series:06d}-{index:02d}.JPG"


def series_of(name: str) -> str:
    """The series a release file belongs to: '000012-03.JPG' → '000012'."""
    return name.split("-", 1)[0]


@dataclass(frozen=True)
class PairLine:
    """One parsed pair-list line; `preference` is the share of reviewers who preferred `second`."""

    series: int
    first: int
    second: int
    preference: float
    line: int  # 1-based line number in its pair list

    @property
    def first_name(self) -> str:
        return image_name(self.series, self.first)

    @property
    def second_name(self) -> str:
        return image_name(self.series, self.second)

    def is_ambiguous(self, band: tuple[float, float]) -> bool:
        """Inside the band (inclusive), or an exact tie, which has no winner whatever the band."""
        low, high = band
        return low <= self.preference <= high or self.preference == 0.5

    def winner_loser(self) -> tuple[str, str]:
        """(preferred photo's file name, the other's); only meaningful for a non-ambiguous pair."""
        if self.preference > 0.5:
            return self.second_name, self.first_name
        return self.first_name, self.second_name


def _parse_int(token: str, what: str) -> int:
    try:
        value = int(token)
    except ValueError:
        raise ValueError(f"{what} {token!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{what} {value} is negative")
    return value


def parse_line(text: str, line: int) -> PairLine | None:
    """A PairLine, None for a blank or '#' comment line; ValueError says what is wrong."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    tokens = stripped.split()
    if len(tokens) < 4:
        raise ValueError(f"expected at least 4 columns 'SERIES A B P', found {len(tokens)}")
    series = _parse_int(tokens[0], "SERIES")
    first = _parse_int(tokens[1], "A")
    second = _parse_int(tokens[2], "B")
    try:
        preference = float(tokens[3])
    except ValueError:
        raise ValueError(f"P {tokens[3]!r} is not a number") from None
    if not math.isfinite(preference) or not 0.0 <= preference <= 1.0:
        raise ValueError(f"P {tokens[3]!r} is not a share between 0 and 1")
    if first == second:
        raise ValueError(f"A and B are the same photo ({first})")
    if series > 999_999 or first > 99 or second > 99:
        raise ValueError("SERIES must fit 6 digits and A, B 2 digits (file names SSSSSS-II.JPG)")
    return PairLine(series, first, second, preference, line)


def parse_pairlist(path: Path | str) -> list[PairLine]:
    """Every pair of a pair list, in file order. Any malformed line is an error naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: pair list not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not a text pair list ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the pair list ({exc.strerror or exc})") from None
    pairs: list[PairLine] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        try:
            pair = parse_line(raw, number)
        except ValueError as exc:
            problems.append(f"{path}:{number}: {exc}: {raw.strip()[:80]!r}")
            continue
        if pair is not None:
            pairs.append(pair)
    if problems:
        more = f"\n  ... and {len(problems) - QUOTE_LIMIT} more" if len(problems) > QUOTE_LIMIT else ""
        raise DatasetError(
            f"{path}: {len(problems)} malformed line(s); each must read 'SERIES A B P ...' "
            "with whole numbers and 0 <= P <= 1:\n  " + "\n  ".join(problems[:QUOTE_LIMIT]) + more
        )
    return pairs


@dataclass
class SplitSource:
    name: str
    image_dir: Path
    pairlist: Path
    lines: list[PairLine]

    @property
    def series(self) -> list[int]:
        return sorted({pair.series for pair in self.lines})


@dataclass
class Release:
    root: Path
    splits: dict[str, SplitSource]  # train, val and, when present, test


def open_release(root: Path | str) -> Release:
    """Check the layout and parse every pair list; DatasetError names whatever is missing or malformed."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: dataset folder not found")
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder (expected the PhotoTriage release with train_val/ and test/)")
    splits: dict[str, SplitSource] = {}
    for name, (images, pairlist) in RELEASE_LAYOUT.items():
        image_dir, list_path = root / images, root / pairlist
        if name not in REQUIRED_SPLITS and not image_dir.exists() and not list_path.exists():
            continue  # the test split is optional; absent as a whole is fine
        missing = [
            str(p)
            for p, is_dir in ((image_dir, True), (list_path, False))
            if not (p.is_dir() if is_dir else p.is_file())
        ]
        if missing:
            raise DatasetError(
                f"{root}: the {name} split is incomplete: missing {' and '.join(missing)} "
                f"(expected the published layout {images}/ + {pairlist})"
            )
        splits[name] = SplitSource(name, image_dir, list_path, parse_pairlist(list_path))
    return Release(root, splits)


def select_series(release: Release, fraction: float | None, seed: int) -> dict[str, set[int] | None]:
    """A seeded share of each split's SERIES (whole series, never single lines); None keeps all."""
    if fraction is None or fraction >= 1.0:
        return {name: None for name in release.splits}
    if not 0.0 < fraction <= 1.0:
        raise DatasetError(f"the quick-experiment fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    chosen: dict[str, set[int] | None] = {}
    for name in RELEASE_LAYOUT:  # fixed order, so the draw depends on the seed only
        if name not in release.splits:
            continue
        series = release.splits[name].series
        count = min(len(series), max(1, round(fraction * len(series))))
        chosen[name] = {int(s) for s in rng.permutation(series)[:count]} if series else set()
    return chosen


@dataclass
class SplitCounts:
    """Where each line of one pair list went; used + the four skip/drop buckets == lines."""

    lines: int = 0
    series: int = 0
    series_selected: int = 0
    outside_selection: int = 0  # lines of series the quick experiment did not draw
    ambiguous: int = 0  # dropped: preference inside the ambiguity band
    missing_image: int = 0  # skipped: an image file named by the pair does not exist
    unreadable_image: int = 0  # skipped: an image exists but could not be decoded
    used: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SplitPairs:
    name: str
    image_dir: Path
    pairlist: Path
    counts: SplitCounts
    pairs: list[tuple[str, str, PairLine]] = field(default_factory=list)  # (winner file, loser file, source)
    missing_examples: list[str] = field(default_factory=list)  # 'file:line: NAME' for the report
    unreadable_examples: list[str] = field(default_factory=list)

    @property
    def images(self) -> set[str]:
        return {name for winner, loser, _ in self.pairs for name in (winner, loser)}

    def drop_unreadable(self, unreadable: dict[str, str]) -> None:
        """Skip pairs naming an image that failed to decode (name → reason), counting each."""
        kept = []
        for winner, loser, pair in self.pairs:
            bad = next((n for n in (winner, loser) if n in unreadable), None)
            if bad is None:
                kept.append((winner, loser, pair))
                continue
            self.counts.unreadable_image += 1
            self.unreadable_examples.append(f"{self.pairlist}:{pair.line}: {bad} ({unreadable[bad]})")
        self.pairs = kept
        self.counts.used = len(kept)


def list_images(image_dir: Path) -> dict[str, str]:
    """Release name → actual file name in `image_dir`; matched case-insensitively ('.jpg' copies work)."""
    found: dict[str, str] = {}
    for entry in sorted(os.listdir(image_dir)):
        found.setdefault(entry.upper(), entry)
    return found


def resolve_pairs(
    split: SplitSource, selected: set[int] | None, band: tuple[float, float], available: dict[str, str] | None = None
) -> SplitPairs:
    """Orient each pair winner-first and sort every line into a bucket of SplitCounts."""
    available = list_images(split.image_dir) if available is None else available
    counts = SplitCounts(
        lines=len(split.lines),
        series=len(split.series),
        series_selected=len(split.series) if selected is None else len(selected),
    )
    result = SplitPairs(split.name, split.image_dir, split.pairlist, counts)
    for pair in split.lines:
        if selected is not None and pair.series not in selected:
            counts.outside_selection += 1
            continue
        if pair.is_ambiguous(band):
            counts.ambiguous += 1
            continue
        winner, loser = pair.winner_loser()
        missing = [n for n in (winner, loser) if n.upper() not in available]
        if missing:
            counts.missing_image += 1
            result.missing_examples.append(f"{split.pairlist}:{pair.line}: {', '.join(missing)}")
            continue
        result.pairs.append((available[winner.upper()], available[loser.upper()], pair))
    counts.used = len(result.pairs)
    return result


def validate_band(band: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(v) for v in band)
    if not (0.0 <= low <= high <= 1.0):
        raise DatasetError(f"the ambiguity band must satisfy 0 <= LOW <= HIGH <= 1, got {low} {high}")
    return low, high


def load_pairs(
    root: Path | str, fraction: float | None = None, seed: int = 0, band: tuple[float, float] = DEFAULT_AMBIGUITY_BAND
) -> tuple[Release, dict[str, SplitPairs]]:
    """Open the release and resolve every split's pairs (before any image is decoded)."""
    band = validate_band(band)
    release = open_release(root)
    selection = select_series(release, fraction, seed)
    listings: dict[Path, dict[str, str]] = {}
    result = {}
    for name, split in release.splits.items():
        if split.image_dir not in listings:
            listings[split.image_dir] = list_images(split.image_dir)
        result[name] = resolve_pairs(split, selection[name], band, listings[split.image_dir])
    return release, result


def empty_split_message(split: SplitPairs) -> str:
    """Why a split has no usable pair, with the counts that explain it."""
    c = split.counts
    if c.lines == 0:
        return f"the {split.name} split is empty: {split.pairlist} lists no pairs"
    parts = [f"{c.lines} lines"]
    for key, label in (
        ("outside_selection", "outside the --quick_experiment selection"),
        ("ambiguous", "ambiguous (inside --ambiguity_band)"),
        ("missing_image", "naming missing images"),
        ("unreadable_image", "naming unreadable images"),
    ):
        if getattr(c, key):
            parts.append(f"{getattr(c, key)} {label}")
    hint = ""
    if c.missing_image:
        hint = f" Are the images in {split.image_dir}? First missing: {split.missing_examples[0]}"
    return f"the {split.name} split has no usable pair in {split.pairlist} ({', '.join(parts)}).{hint}"
