"""Learning the user's taste: training pairs from choices and decisions, fine-tuning the active model
(the trainer's own loop), a held-out gate before activation, and which pair to ask about next.

Everything here is pure Python + torch on cached features (no decoding), so the GUI can run
`fine_tune` in a worker thread: it is a generator yielding `Progress` and honouring a cancel event.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ranker.catalog import Catalog
from ranker.checkpoint import LoadedCheckpoint, load_checkpoint
from ranker.decisions import Decision
from ranker.errors import UsageError
from ranker.model import MultiFeaturePairwiseRanker
from ranker.model_config import MultiFeatureConfig
from ranker.problems import Problem
from ranker.progress import Progress, check_cancel
from ranker.training import PairSet, TrainConfig, TrainResult, score_features, train_pairs

#: Fewer usable pairs than this and nothing is trained (and nothing changes).
MIN_PAIRS = 10

#: Where a pair came from, and how much it counts. Explicit choices (the compare view, a choices file)
#: are the user's own words; pairs implied by flags and stars inside a burst are weaker evidence.
SOURCE_WEIGHTS = {
    "choice": 1.0,  # compare view, stored in the catalog
    "file": 1.0,  # a line of a choices file
    "pick>reject": 0.5,
    "rating": 0.4,  # higher star rating over lower, both rated
    "pick>unflagged": 0.3,
}
EXPLICIT_SOURCES = ("choice", "file")


@dataclass(frozen=True)
class TrainingPair:
    """One 'winner is better than loser' statement about two catalog photos, with its provenance."""

    winner: int
    loser: int
    source: str  # a SOURCE_WEIGHTS key
    origin: str = ""  # exactly where: "choice 12 (compare)", "picks.jsonl:7", "burst 3 of /shoot"
    weight: float | None = None  # None: the source's weight

    def __post_init__(self) -> None:
        if self.weight is None:
            object.__setattr__(self, "weight", SOURCE_WEIGHTS[self.source])

    @property
    def key(self) -> frozenset[int]:
        return frozenset((self.winner, self.loser))

    @property
    def explicit(self) -> bool:
        return self.source in EXPLICIT_SOURCES


# -- collecting pairs ----------------------------------------------------------------------------
def catalog_choices(catalog: Catalog, photo_ids: set[int] | None = None) -> list[TrainingPair]:
    """The compare view's choices stored in the catalog (optionally only those between `photo_ids`)."""
    pairs = []
    for choice_id, winner, loser, source, _created in catalog.choices():
        if photo_ids is not None and not (winner in photo_ids and loser in photo_ids):
            continue
        pairs.append(TrainingPair(winner, loser, "choice", f"choice {choice_id} ({source})"))
    return pairs


def _lookup_path(catalog: Catalog, text: str, bases: Sequence[Path]) -> int | None:
    """The catalog id of a photo named by a path as the user wrote it (absolute or relative to a base)."""
    path = Path(os.path.expanduser(text))
    candidates = [path] if path.is_absolute() else [base / path for base in bases] + [path]
    seen = set()
    for candidate in candidates:
        for form in (candidate, Path(os.path.abspath(candidate)), candidate.resolve()):
            if form in seen:
                continue
            seen.add(form)
            photo_id = catalog.photo_for_path(form)
            if photo_id is not None:
                return photo_id
    return None


def read_choices_file(
    path: Path | str,
    catalog: Catalog,
    base: Path | str | None = None,
) -> tuple[list[TrainingPair], list[Problem]]:
    """Lines of {"winner": PATH, "loser": PATH} (JSON Lines; blank and '#' lines ignored).

    Relative paths are tried against `base` (e.g. the shoot folder), the file's own folder and the
    working directory. Bad lines are reported with their number and skipped: unreadable JSON, a photo
    the catalog does not know (its folder must be ranked first), a photo against itself. Contradictory
    duplicates are left to `merge_pairs`, which reports them.
    """
    path = Path(path)
    bases = [Path(base)] if base is not None else []
    bases.append(path.parent)
    pairs: list[TrainingPair] = []
    problems: list[Problem] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{path.name}:{number}"
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not a JSON object ({exc.msg})"))
            continue
        if not isinstance(record, dict) or not all(
            isinstance(record.get(k), str) and record.get(k) for k in ("winner", "loser")
        ):
            problems.append(Problem(where, 'expected {"winner": PATH, "loser": PATH}'))
            continue
        ids = []
        for role in ("winner", "loser"):
            photo_id = _lookup_path(catalog, record[role], bases)
            if photo_id is None:
                name = record[role]
                if any((b / name).exists() for b in bases) or Path(name).exists():
                    problems.append(
                        Problem(
                            where,
                            f"{role} {name} is not in the catalog: rank its folder first "
                            "(phototriage rank FOLDER), then learn again",
                        )
                    )
                else:
                    problems.append(Problem(where, f"{role} {name}: no such photo (and not in the catalog)"))
                break
            ids.append(photo_id)
        else:
            if ids[0] == ids[1]:
                problems.append(Problem(where, "a photo cannot be chosen over itself"))
                continue
            pairs.append(TrainingPair(ids[0], ids[1], "file", where))
    return pairs, problems


def list_shoots(catalog: Catalog) -> list[str]:
    """Every shoot (folder key) the catalog holds a burst grouping for."""
    return catalog.shoots()


def implied_pair(a: int, b: int, decisions: Mapping[int, Decision]) -> tuple[int, int, str] | None:
    """(winner, loser, source) that a's and b's decisions imply, or None. One rule per pair, so the
    rules cannot contradict each other: flags first (pick > reject, pick > unflagged), then stars
    when both are rated (a rejected photo never wins on stars)."""
    da, db = decisions.get(a, Decision()), decisions.get(b, Decision())
    for (x, dx), (y, dy) in (((a, da), (b, db)), ((b, db), (a, da))):
        if dx.flag == "pick" and dy.flag == "reject":
            return x, y, "pick>reject"
        if dx.flag == "pick" and dy.flag is None:
            return x, y, "pick>unflagged"
    if da.flag == db.flag or (da.flag != "pick" and db.flag != "pick"):
        if da.rating and db.rating and da.rating != db.rating:
            (x, dx), (y, _dy) = sorted(((a, da), (b, db)), key=lambda item: -item[1].rating)
            if dx.flag != "reject":
                return x, y, "rating"
    return None


def implied_pairs(catalog: Catalog, shoots: Iterable[str] | None = None) -> list[TrainingPair]:
    """Pairs implied by flags and stars between photos of the same burst (never across bursts:
    a pick in one scene says nothing about a photo of another)."""
    pairs: list[TrainingPair] = []
    seen: set[frozenset[int]] = set()
    for shoot in list_shoots(catalog) if shoots is None else shoots:
        for number, _kind, members in catalog.bursts(shoot):
            if len(members) < 2:
                continue
            decisions = catalog.decisions(members)
            if all(d.is_empty for d in decisions.values()):
                continue
            for a, b in combinations(members, 2):
                found = implied_pair(a, b, decisions)
                if found is None or frozenset((a, b)) in seen:
                    continue
                seen.add(frozenset((a, b)))
                pairs.append(TrainingPair(found[0], found[1], found[2], f"burst {number} of {shoot}"))
    return pairs


def shoot_photo_ids(catalog: Catalog, shoot: str) -> set[int]:
    return {pid for _number, _kind, members in catalog.bursts(shoot) for pid in members}


def merge_pairs(*groups: Iterable[TrainingPair]) -> tuple[list[TrainingPair], list[Problem]]:
    """One statement per photo pair. Explicit choices that contradict each other (A over B and B over A)
    are all skipped and reported; exact duplicates count once; an explicit choice overrides what
    decisions imply about the same two photos."""
    explicit: dict[frozenset[int], list[TrainingPair]] = {}
    implied: dict[frozenset[int], TrainingPair] = {}
    for group in groups:
        for pair in group:
            if pair.winner == pair.loser:
                continue
            if pair.explicit:
                explicit.setdefault(pair.key, []).append(pair)
            else:
                implied.setdefault(pair.key, pair)
    merged: list[TrainingPair] = []
    problems: list[Problem] = []
    for statements in explicit.values():
        if len({p.winner for p in statements}) > 1:
            origins = ", ".join(p.origin for p in statements)
            for pair in statements:
                problems.append(
                    Problem(pair.origin, f"contradicts another choice of the same two photos ({origins}); skipped")
                )
            continue
        merged.append(statements[0])
    merged.extend(pair for key, pair in implied.items() if key not in explicit)
    return merged, problems


def count_sources(pairs: Iterable[TrainingPair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[pair.source] = counts.get(pair.source, 0) + 1
    return counts


# -- fine-tuning --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FineTuneConfig:
    holdout_fraction: float = 0.2  # a fifth of the user's choices judge the new model
    min_pairs: int = MIN_PAIRS
    #: Adapt the Siamese tower as well as the comparison head. benchmarks.learning (100 choices, taste
    #: measured on other scenes): head only learned 'brighter' to 93% but 'muted colours' only to 81%, the
    #: default tower's embedding carrying little colourfulness; head + tower reached 92% and 96%, with
    #: blur/noise agreement kept by the technical twins. The held-out and technical gates guard overfitting.
    train_tower: bool = True
    max_epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    margin: float = 0.5
    patience: int = 8
    seed: int = 0
    #: weight of each technical twin pair (see TWIN_SHIFTS); 0 disables them. benchmarks.learning: without
    #: twins, 200 'muted colours' choices took clean-over-blurred agreement from 100% to 20% and
    #: clean-over-noisy from 97% to 9%; at 0.25 a learned 'brighter' taste still cost a few points; at 1.0
    #: both stayed at the default's level while the taste was still learned.
    twin_weight: float = 1.0
    #: the new model's held-out agreement must beat a coin toss at this significance (one-sided binomial)
    gate_alpha: float = 0.05
    #: and it must still prefer the original over fresh blurred/noisy twins (of every photo, held-out ones
    #: included, new random strengths) in this share of the cases the current model gets right
    min_technical: float = 0.9
    activate: bool = True  # activate the new model when it passes the gate
    save: bool = True  # keep the new model among the personal models (even when not activated)

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            margin=self.margin,
            patience=self.patience,
            seed=self.seed,
            train_tower=self.train_tower,
        )


@dataclass
class FineTuneResult:
    base: str  # the model fine-tuned (and compared against): its label
    base_path: Path
    train_pairs: int
    held_out: int
    before: float  # agreement of the base model with the held-out choices
    after: float  # agreement of the new model with them
    passed: bool  # the held-out gate's verdict
    activated: bool
    verdict: str  # why it was (not) activated, in words
    sources: dict[str, int]  # usable pairs by source
    problems: list[Problem] = field(default_factory=list)
    model_id: str | None = None  # personal model id when saved
    model: torch.nn.Module | None = None
    twins: int = 0
    technical: float | None = None  # share of fresh blur/noise twin checks the new model still passes
    p_value: float = 1.0
    seconds: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)


class NotEnoughPairs(ValueError):
    """Too few usable pairs to learn from; nothing was changed."""


def binomial_p_value(correct: float, total: int) -> float:
    """P(a coin toss agrees at least `correct` times out of `total`): the one-sided sign test."""
    k = math.ceil(correct - 1e-9)
    if total <= 0:
        return 1.0
    return sum(math.comb(total, i) for i in range(k, total + 1)) / 2.0**total


def _hash_unit(pair: TrainingPair) -> float:
    a, b = sorted((pair.winner, pair.loser))
    digest = hashlib.blake2b(f"{a}-{b}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def split_holdout(pairs: Sequence[TrainingPair], fraction: float) -> tuple[list[TrainingPair], list[TrainingPair]]:
    """(train, held out). A fifth of the explicit choices is held out (of all pairs when there are fewer
    than 5 choices). The split hashes the photo pair, so a choice held out once stays held out as more
    choices arrive: a personal model is never judged on choices it was trained on."""
    explicit = [p for p in pairs if p.explicit]
    pool = explicit if len(explicit) >= 5 else list(pairs)
    target = max(1, round(len(pool) * fraction))
    ranked = sorted(pool, key=_hash_unit)
    held = [p for p in ranked if _hash_unit(p) < fraction]
    if len(held) < target:
        held = ranked[:target]
    held_keys = {p.key for p in held}
    return [p for p in pairs if p.key not in held_keys], held


#: Feature-space "technical twins". Fine-tuning on a taste (brighter, more muted colours) moves the
#: head, and nothing in the user's choices says that blur and noise still matter; with a few hundred
#: pairs a head can trade them away. So every photo of the training pairs gets a slightly blurred, a
#: blurred and a noisy twin, made by shifting its cached features the way real defects shift them
#: (measured with iqa v3 / noise v1 on the synthetic 'subtle' and 'clear' bursts of ranker.synthetic:
#: defocus/shake lower log-sharpness by 0.05-0.9 and contrast, colourfulness and noise σ slightly;
#: high-ISO noise raises σ by 0.01-0.07, lowers the noise-corrected sharpness and adds a little
#: colourfulness and contrast; re-measure if those extractors change), and the pair original > twin is
#: mixed in. A twin pair is kept only when the model being tuned already prefers the original, so twins
#: preserve the old model's technical judgement and never teach it anything new: regularising toward
#: the old model along the defect directions only, leaving the taste directions free. Models without
#: these features (CLIP-only) get no twins; the held-out gate still guards them.
#: Each entry: {(feature, index): (shift of the weakest, shift of the strongest defect)}.
TWIN_SHIFTS = {
    "slight blur": {
        ("iqa", 0): (-0.05, -0.25),
        ("iqa", 2): (0.0, -0.002),
        ("iqa", 3): (-0.001, -0.006),
        ("noise", 0): (-0.0005, -0.004),
    },
    "blur": {
        ("iqa", 0): (-0.25, -0.9),
        ("iqa", 2): (-0.001, -0.004),
        ("iqa", 3): (-0.005, -0.015),
        ("noise", 0): (-0.002, -0.006),
    },
    "noise": {
        ("noise", 0): (0.01, 0.07),
        ("iqa", 0): (-0.05, -0.7),
        ("iqa", 2): (0.002, 0.015),
        ("iqa", 3): (0.001, 0.015),
    },
}


def technical_twins(
    features: np.ndarray, layout: Sequence[tuple[str, int]], rows: Sequence[int], rng: np.random.Generator
) -> tuple[np.ndarray, list[int]]:
    """(twin feature rows, the original row of each twin): one twin of each TWIN_SHIFTS kind per given row."""
    offsets, start = {}, 0
    for name, dim in layout:
        offsets[name] = (start, dim)
        start += dim
    twins, originals = [], []
    for shifts in TWIN_SHIFTS.values():
        usable = [
            (offsets[name][0] + i, bounds)
            for (name, i), bounds in shifts.items()
            if name in offsets and i < offsets[name][1]
        ]
        if not usable:
            continue
        for row in rows:
            twin = features[row].copy()
            strength = rng.uniform(0.0, 1.0)  # one defect strength moves every feature it touches together
            for column, (weakest, strongest) in usable:
                twin[column] += weakest + strength * (strongest - weakest)
            twins.append(twin)
            originals.append(row)
    return np.asarray(twins, dtype=np.float32).reshape(len(twins), features.shape[1]), originals


def technical_agreement(
    old: MultiFeaturePairwiseRanker,
    new: MultiFeaturePairwiseRanker,
    features: np.ndarray,
    layout: Sequence[tuple[str, int]],
    seed: int,
) -> float | None:
    """Share of fresh technical twin pairs the old model orders correctly that the new one still does
    (None when the feature set has no technical features, or the old model gets none right)."""
    twins, originals = technical_twins(features, layout, range(len(features)), np.random.default_rng(seed))
    if not originals:
        return None
    both = np.concatenate([features, twins]).astype(np.float32)
    twin_rows = np.arange(len(features), len(both))
    old_scores, new_scores = score_features(old, both), score_features(new, both)
    valid = old_scores[originals] > old_scores[twin_rows]
    if not valid.any():
        return None
    return float((new_scores[originals] > new_scores[twin_rows])[valid].mean())


def _feature_rows(
    catalog: Catalog,
    photo_ids: Sequence[int],
    config: MultiFeatureConfig,
) -> tuple[dict[int, int], np.ndarray, list[int]]:
    """({photo id: row}, model input rows (burst-relative parts against the stored bursts), ids without
    cached features for this model)."""
    from ranker.pipeline import photo_inputs

    try:
        inputs = photo_inputs(catalog, photo_ids, config)
        return {pid: i for i, pid in enumerate(photo_ids)}, inputs, []
    except (LookupError, KeyError):  # some photo (or a burst mate) lacks features: find which, keep the rest
        pass
    rows: dict[int, int] = {}
    vectors: list[np.ndarray] = []
    missing: list[int] = []
    for photo_id in photo_ids:
        try:
            vector = photo_inputs(catalog, [photo_id], config)[0]
        except (LookupError, KeyError):
            missing.append(photo_id)
            continue
        rows[photo_id] = len(vectors)
        vectors.append(vector)
    return rows, np.asarray(vectors, dtype=np.float32).reshape(len(vectors), config.input_dim), missing


def _pair_set(features: np.ndarray, rows: Mapping[int, int], pairs: Sequence[TrainingPair]) -> PairSet:
    return PairSet(
        features,
        np.array([rows[p.winner] for p in pairs], dtype=np.int64),
        np.array([rows[p.loser] for p in pairs], dtype=np.int64),
        np.array([p.weight for p in pairs], dtype=np.float32),
    )


def _agreement(model: MultiFeaturePairwiseRanker, pairs: PairSet) -> tuple[float, float]:
    """(share, count) of pairs whose winner scores higher; ties count half; unweighted."""
    if len(pairs) == 0:
        return float("nan"), 0.0
    scores = score_features(model, pairs.features)
    diff = scores[pairs.winners] - scores[pairs.losers]
    correct = float((diff > 0).sum() + 0.5 * (diff == 0).sum())
    return correct / len(pairs), correct


def _train(
    model: MultiFeaturePairwiseRanker, train: PairSet, config: TrainConfig, cancel: threading.Event | None
) -> TrainResult:
    """ranker.training.train_pairs itself (the trainer's code path), cancellable between batches."""
    threads = torch.get_num_threads()
    # The head sees batches of a few dozen 256-d rows: intra-op threads only add synchronisation there
    # (measured on 2 busy cores: 0.8 s with one thread, 5.5 s with two, for the same 160 steps).
    torch.set_num_threads(1)
    try:
        return train_pairs(model, train, None, config, progress=False, desc="personal", cancel=cancel)
    finally:
        torch.set_num_threads(threads)
        model.requires_grad_(True)
        model.eval()


def collect_pairs(
    catalog: Catalog,
    *,
    from_catalog: bool = True,
    choices_file: Path | str | None = None,
    folder: Path | str | None = None,
    recursive: bool = False,
) -> tuple[list[TrainingPair], list[Problem]]:
    """Everything `phototriage learn` learns from: catalog choices and decision-implied pairs (all
    shoots, or only `folder`'s), plus a choices file; merged, with every skipped input reported."""
    from ranker.pipeline import shoot_key

    groups: list[list[TrainingPair]] = []
    problems: list[Problem] = []
    photo_ids = None
    shoots = None
    if folder is not None:
        shoot = shoot_key(Path(folder), recursive)
        photo_ids = shoot_photo_ids(catalog, shoot)
        if not photo_ids:
            raise UsageError(f"{folder}: this folder has not been ranked yet; run `phototriage rank {folder}` first")
        shoots = [shoot]
    if from_catalog:
        groups.append(catalog_choices(catalog, photo_ids))
        groups.append(implied_pairs(catalog, shoots))
    if choices_file is not None:
        pairs, bad = read_choices_file(choices_file, catalog, base=folder)
        groups.append(pairs)
        problems.extend(bad)
    merged, conflicts = merge_pairs(*groups)
    return merged, problems + conflicts


def fine_tune(
    catalog: Catalog,
    pairs: Sequence[TrainingPair],
    *,
    base: LoadedCheckpoint | Path | str | None = None,
    config: FineTuneConfig = FineTuneConfig(),
    cancel: threading.Event | None = None,
    problems: Sequence[Problem] = (),
    info: dict[str, Any] | None = None,
) -> Generator[Progress, None, FineTuneResult]:
    """Fine-tune `base` (default: the active model) on the user's pairs; yields Progress, returns FineTuneResult.

    Held-out gate: a fifth of the choices is kept aside; the new model is activated only when it agrees
    with them at least as often as the current model does AND better than a coin toss (one-sided sign
    test at config.gate_alpha) — 'not worse' alone would let a model trained on random clicks through
    half the time, since both models then sit at 50%. It must also keep the current model's judgement of
    blur and noise (technical_agreement ≥ config.min_technical). Raises NotEnoughPairs (changing nothing) below
    config.min_pairs usable pairs, and Cancelled when `cancel` is set.
    """
    from ranker.active_model import resolve_model

    started = time.perf_counter()
    problems = list(problems)
    yield Progress("learn", 0, 4, "loading the model")
    if base is None:
        checkpoint, _why = resolve_model(None)
    elif isinstance(base, LoadedCheckpoint):
        checkpoint = base
    else:
        checkpoint = load_checkpoint(base)
    layout = checkpoint.config.feature_layout
    check_cancel(cancel)

    photo_ids = sorted({pid for p in pairs for pid in (p.winner, p.loser)})
    rows, features, missing = _feature_rows(catalog, photo_ids, checkpoint.config)
    if missing:
        lost = [p for p in pairs if p.winner in missing or p.loser in missing]
        for pair in lost:
            problems.append(
                Problem(
                    pair.origin,
                    f"a photo of this pair has no cached features for {checkpoint.label}; rank its folder again",
                )
            )
        pairs = [p for p in pairs if p.winner in rows and p.loser in rows]
    if len(pairs) < config.min_pairs:
        raise NotEnoughPairs(
            f"only {len(pairs)} usable pair{'s' * (len(pairs) != 1)} to learn from; at least "
            f"{config.min_pairs} are needed. Compare more photos (or flag picks and rejects "
            "inside bursts) and learn again; nothing was changed."
        )
    yield Progress("learn", 1, 4, f"{len(pairs)} pairs, {len(rows)} photos")
    check_cancel(cancel)

    train, held = split_holdout(pairs, config.holdout_fraction)
    rng = np.random.default_rng(config.seed)
    train_rows = sorted({rows[pid] for p in train for pid in (p.winner, p.loser)})
    twin_features, originals = technical_twins(features, layout, train_rows if config.twin_weight > 0 else [], rng)
    all_features = np.concatenate([features, twin_features]).astype(np.float32)
    train_set = _pair_set(all_features, rows, train)
    kept_twins = 0
    if len(originals):
        old_scores = score_features(checkpoint.model, all_features)
        twin_rows = np.arange(len(features), len(all_features))
        keep = old_scores[originals] > old_scores[twin_rows]
        kept_twins = int(keep.sum())
        train_set = PairSet(
            all_features,
            np.concatenate([train_set.winners, np.asarray(originals)[keep]]),
            np.concatenate([train_set.losers, twin_rows[keep]]),
            np.concatenate([train_set.weights, np.full(kept_twins, config.twin_weight, np.float32)]),
        )
    held_set = _pair_set(features, rows, held)

    model = copy.deepcopy(checkpoint.model)
    yield Progress("learn", 2, 4, f"fine-tuning on {len(train)} pairs ({kept_twins} technical twins)")
    result = _train(model, train_set, config.train_config(), cancel)
    check_cancel(cancel)

    yield Progress("learn", 3, 4, f"checking on {len(held)} held-out choices")
    before, _ = _agreement(checkpoint.model, held_set)
    after, correct = _agreement(model, held_set)
    p_value = binomial_p_value(correct, len(held))
    technical = technical_agreement(checkpoint.model, model, features, layout, config.seed + 1)
    if technical is not None and technical < config.min_technical:
        verdict = (
            f"not activated: it would rank blurred or noisy versions of your photos above the originals "
            f"in {1 - technical:.0%} of the checks the current model passes"
        )
        passed = False
    elif after < before:
        verdict = (
            f"not activated: it agrees with {after:.0%} of your {len(held)} held-out choices, "
            f"the current model with {before:.0%}"
        )
        passed = False
    elif p_value > config.gate_alpha:
        verdict = (
            f"not activated: {after:.0%} agreement on {len(held)} held-out choices is not clearly better "
            f"than chance (p={p_value:.2f}); make more choices and learn again"
        )
        passed = False
    else:
        verdict = f"passed: {after:.0%} agreement on {len(held)} held-out choices vs {before:.0%} before"
        passed = True

    model_id = None
    activated = False
    result_info = {
        "base": checkpoint.label,
        "base_path": str(checkpoint.path),
        "pairs": count_sources(pairs),
        "train_pairs": len(train),
        "held_out": len(held),
        "held_out_before": before,
        "held_out_after": after,
        "technical_twins": kept_twins,
        "technical_kept": technical,
        "gate": verdict,
        **(info or {}),
    }
    check_cancel(cancel)
    if config.save:
        from ranker import personal_models

        saved = personal_models.save_personal(model, config.train_config().to_dict(), result_info)
        model_id = saved.id
        if passed and config.activate:
            personal_models.activate(model_id)
            activated = True
    yield Progress("learn", 4, 4, verdict)
    return FineTuneResult(
        checkpoint.label,
        checkpoint.path,
        len(train),
        len(held),
        before,
        after,
        passed,
        activated,
        verdict if not passed or not config.activate else f"activated ({verdict})",
        count_sources(pairs),
        problems,
        model_id,
        model,
        kept_twins,
        technical,
        p_value,
        time.perf_counter() - started,
        result.history,
    )
