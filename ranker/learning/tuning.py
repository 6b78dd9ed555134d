"""Fine-tuning the active model on the user's pairs, and the held-out gate it must pass before it is activated.

Pure Python + torch on cached features (no decoding): the GUI runs `fine_tune` in a worker thread; it is a
generator yielding `Progress` and honouring a cancel event.
"""

from __future__ import annotations

import copy
import hashlib
import math
import threading
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ranker.learning.choices import TrainingPair, count_sources
from ranker.learning.twins import technical_agreement, technical_twins
from ranker.ml.checkpoint import LoadedCheckpoint, load_checkpoint
from ranker.ml.model import MultiFeaturePairwiseRanker
from ranker.ml.model_config import MultiFeatureConfig
from ranker.ml.training import PairSet, TrainConfig, TrainResult, score_features, train_pairs
from ranker.problems import Problem
from ranker.progress import Progress, Stage, check_cancel
from ranker.store.catalog import Catalog

#: Fewer usable pairs than this and nothing is trained (and nothing changes).
MIN_PAIRS = 10


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
        return TrainConfig.taken_from(self)


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


def _feature_rows(
    catalog: Catalog,
    photo_ids: Sequence[int],
    config: MultiFeatureConfig,
) -> tuple[dict[int, int], np.ndarray, list[int]]:
    """({photo id: row}, model input rows (burst-relative parts against the stored bursts), ids without
    cached features for this model)."""
    from ranker.culling.scoring import photo_inputs

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
    """ranker.ml.training.train_pairs itself (the trainer's code path), cancellable between batches."""
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
    from ranker.ml.active_model import resolve_model

    started = time.perf_counter()
    problems = list(problems)
    yield Progress(Stage.LEARN, 0, 4, "loading the model")
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
    yield Progress(Stage.LEARN, 1, 4, f"{len(pairs)} pairs, {len(rows)} photos")
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
    yield Progress(Stage.LEARN, 2, 4, f"fine-tuning on {len(train)} pairs ({kept_twins} technical twins)")
    result = _train(model, train_set, config.train_config(), cancel)
    check_cancel(cancel)

    yield Progress(Stage.LEARN, 3, 4, f"checking on {len(held)} held-out choices")
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
        from ranker.ml import personal_models

        saved = personal_models.save_personal(model, config.train_config().to_dict(), result_info)
        model_id = saved.id
        if passed and config.activate:
            personal_models.activate(model_id)
            activated = True
    yield Progress(Stage.LEARN, 4, 4, verdict)
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
