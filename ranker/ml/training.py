"""Margin-ranking training over cached features: one loop shared by `train` and personal fine-tuning."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from ranker.ml.model import MultiFeaturePairwiseRanker
from ranker.progress import check_cancel


@dataclass
class TrainConfig:
    max_epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    margin: float = 0.5
    patience: int = 5  # epochs without a better validation accuracy before stopping
    seed: int = 0
    train_tower: bool = True  # fine-tuning may adapt only the comparison head
    #: "cosine": the learning rate falls to 0 over max_epochs (steadier late epochs, so the epoch that
    #: early stopping keeps is less a matter of luck); "constant": as set throughout.
    schedule: str = "constant"
    #: "best": restore the epoch with the best validation accuracy; "last": keep the final epoch (no
    #: validation pairs steer training, so every held-out pair can train or stay honest for evaluation).
    keep: str = "best"
    #: Stochastic weight averaging: with keep "last", the final weights are the plain mean of the weights
    #: after every step from this fraction of training on (None: the last step's). The mean of the
    #: late, noisy steps is a flatter, steadier solution than any one of them (docs/BENCHMARKS.md).
    average_from: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def taken_from(cls, source: object) -> TrainConfig:
        """The settings `source` (CLI arguments, a FineTuneConfig) has under the same names; the rest default."""
        return cls(**{f.name: getattr(source, f.name) for f in fields(cls) if hasattr(source, f.name)})


@dataclass
class PairSet:
    """Pairs as row indices into one feature matrix: photos shared by many pairs are stored once."""

    features: np.ndarray  # (M, input_dim) float32
    winners: np.ndarray  # (K,) int
    losers: np.ndarray  # (K,) int
    #: (K,) float; left empty, every pair weighs 1
    weights: np.ndarray = field(default_factory=lambda: np.ones(0, np.float32))

    def __post_init__(self) -> None:
        self.winners = np.asarray(self.winners, dtype=np.int64)
        self.losers = np.asarray(self.losers, dtype=np.int64)
        if len(self.weights) == 0:
            self.weights = np.ones(len(self.winners), dtype=np.float32)
        self.weights = np.asarray(self.weights, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.winners)

    def subset(self, index: np.ndarray) -> PairSet:
        return PairSet(self.features, self.winners[index], self.losers[index], self.weights[index])


@dataclass
class TrainResult:
    best_epoch: int
    best_val_accuracy: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def score_features(model: MultiFeaturePairwiseRanker, features: np.ndarray) -> np.ndarray:
    model.eval()
    scores: np.ndarray = model(torch.as_tensor(features, dtype=torch.float32)).numpy()
    return scores


def pairwise_accuracy(model: MultiFeaturePairwiseRanker, pairs: PairSet) -> float:
    """Share of pairs (weighted) where the winner scores higher; ties count half."""
    if len(pairs) == 0:
        return float("nan")
    scores = score_features(model, pairs.features)
    diff = scores[pairs.winners] - scores[pairs.losers]
    correct = (diff > 0).astype(np.float32) + 0.5 * (diff == 0)
    return float((correct * pairs.weights).sum() / pairs.weights.sum())


def fit_normalization(model: MultiFeaturePairwiseRanker, features: np.ndarray) -> None:
    """Standardise inputs with the statistics of the photos the model is trained on."""
    model.set_normalization(torch.as_tensor(features.mean(axis=0)), torch.as_tensor(features.std(axis=0)))


def _loss(
    model: MultiFeaturePairwiseRanker, features: torch.Tensor, pairs: PairSet, index: np.ndarray, margin: float
) -> torch.Tensor:
    scores = model(features)
    winner, loser = scores[pairs.winners[index]], scores[pairs.losers[index]]
    per_pair = nn.functional.margin_ranking_loss(
        winner, loser, torch.ones_like(winner), margin=margin, reduction="none"
    )
    weights = torch.as_tensor(pairs.weights[index])
    return (per_pair * weights).sum() / weights.sum()


def train_pairs(
    model: MultiFeaturePairwiseRanker,
    train: PairSet,
    val: PairSet | None,
    config: TrainConfig,
    progress: bool = True,
    desc: str = "train",
    cancel: threading.Event | None = None,
) -> TrainResult:
    """AdamW + margin ranking loss, early stopping on validation accuracy; restores the best weights
    (config.keep "last": runs every epoch and keeps the final weights).
    `cancel` is checked before every batch (raises ranker.progress.Cancelled) so front ends can stop it.

    Scores are computed for the photos a batch touches only, so an epoch costs O(pairs).
    """
    from tqdm import tqdm

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model.siamese_tower.requires_grad_(config.train_tower)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    if config.schedule not in ("constant", "cosine"):
        raise ValueError(f"unknown learning-rate schedule {config.schedule!r}; choose constant or cosine")
    if config.keep not in ("best", "last"):
        raise ValueError(f"unknown epoch to keep {config.keep!r}; choose best or last")
    if config.average_from is not None and (config.keep != "last" or not 0.0 <= config.average_from < 1.0):
        raise ValueError(f"average_from {config.average_from!r} needs keep 'last' and a fraction in [0, 1)")
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.max_epochs)
        if config.schedule == "cosine"
        else None
    )
    features = torch.as_tensor(train.features, dtype=torch.float32)
    best_state, best_acc, best_loss, best_epoch = None, -1.0, float("inf"), 0
    history: list[dict[str, Any]] = []
    averaged = None if config.average_from is None else torch.optim.swa_utils.AveragedModel(model)
    steps = config.max_epochs * math.ceil(len(train) / config.batch_size)
    average_start, step = int((config.average_from or 0.0) * steps), 0
    started = time.perf_counter()
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        order = rng.permutation(len(train))
        total, count = 0.0, 0
        batches = range(0, len(order), config.batch_size)
        for start in tqdm(batches, desc=f"{desc} epoch {epoch}/{config.max_epochs}", leave=False, disable=not progress):
            check_cancel(cancel)
            index = order[start : start + config.batch_size]
            rows = np.unique(np.concatenate([train.winners[index], train.losers[index]]))
            remap = PairSet(
                train.features,
                np.searchsorted(rows, train.winners[index]),
                np.searchsorted(rows, train.losers[index]),
                train.weights[index],
            )
            loss = _loss(model, features[rows], remap, np.arange(len(index)), config.margin)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if averaged is not None and step >= average_start:
                averaged.update_parameters(model)
            total += loss.item() * len(index)
            count += len(index)
        if scheduler is not None:
            scheduler.step()
        record = {
            "epoch": epoch,
            "train_loss": total / max(count, 1),
            "train_accuracy": pairwise_accuracy(model, train),
        }
        if val is not None and len(val):
            model.eval()
            with torch.no_grad():
                record["val_loss"] = float(
                    _loss(model, torch.as_tensor(val.features), val, np.arange(len(val)), config.margin)
                )
            record["val_accuracy"] = pairwise_accuracy(model, val)
        history.append(record)
        if progress:
            tqdm.write(f"{desc} epoch {epoch}: " + ", ".join(f"{k}={v:.4f}" for k, v in record.items() if k != "epoch"))
        accuracy = record.get("val_accuracy", record["train_accuracy"])
        loss_now = record.get("val_loss", record["train_loss"])
        # Ties on accuracy (common once it reaches 1.0 on small sets) go to the lower loss.
        if config.keep == "last" or accuracy > best_acc or (accuracy == best_acc and loss_now < best_loss):
            best_acc, best_loss, best_epoch = accuracy, loss_now, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if averaged is not None and int(averaged.n_averaged) > 0:
        with torch.no_grad():
            for weight, mean in zip(model.parameters(), averaged.module.parameters()):
                weight.copy_(mean)
    model.requires_grad_(True)
    model.eval()
    return TrainResult(
        best_epoch, best_acc if val is not None and len(val) else None, history, time.perf_counter() - started
    )
