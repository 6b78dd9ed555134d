"""The shared margin-ranking loop on synthetic features: it learns, stops early, trains what it should."""

import numpy as np
import pytest
import torch

from ranker.ml.model import MultiFeatureConfig, MultiFeaturePairwiseRanker
from ranker.ml.training import (
    PairSet,
    TrainConfig,
    fit_normalization,
    pairwise_accuracy,
    score_features,
    train_pairs,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/ranker/conftest.py


def separable_pairs(n_photos: int, n_pairs: int, seed: int) -> PairSet:
    """Quality is the first feature plus a little of the second; the rest is distraction."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_photos, 4)).astype(np.float32)
    quality = features[:, 0] + 0.3 * features[:, 1]
    a, b = rng.integers(0, n_photos, (2, n_pairs))
    keep = a != b
    a, b = a[keep], b[keep]
    better = quality[a] > quality[b]
    return PairSet(features, np.where(better, a, b), np.where(better, b, a))


def small_model(seed: int = 0, layernorm: bool = True) -> MultiFeaturePairwiseRanker:
    torch.manual_seed(seed)
    return MultiFeaturePairwiseRanker(
        MultiFeatureConfig(
            use_clip=False, use_cnn_features=False, mlp_hidden_dims=(16, 8), dropout=0.0, use_layernorm=layernorm
        )
    )


def test_pairset_defaults_and_subset():
    pairs = PairSet(np.zeros((3, 4), np.float32), [0, 1], [1, 2])
    assert len(pairs) == 2 and pairs.winners.dtype == np.int64
    np.testing.assert_array_equal(pairs.weights, [1, 1])
    sub = pairs.subset(np.array([1]))
    assert len(sub) == 1 and sub.winners[0] == 1 and sub.features is pairs.features


def test_pairwise_accuracy_counts_ties_half_and_empty_is_nan():
    model = small_model()
    same = np.zeros((2, 4), np.float32)
    assert pairwise_accuracy(model, PairSet(same, [0], [1])) == 0.5
    assert np.isnan(pairwise_accuracy(model, PairSet(same, [], [])))


def test_fit_normalization_standardises_training_features():
    model = small_model()
    features = np.random.default_rng(0).normal(5.0, 3.0, (200, 4)).astype(np.float32)
    fit_normalization(model, features)
    z = (torch.as_tensor(features) - model.feature_mean) / model.feature_std
    assert z.mean(0).abs().max() < 1e-4
    assert (z.std(0, unbiased=False) - 1).abs().max() < 1e-3


def test_training_lowers_the_loss_and_beats_chance():
    train, val = separable_pairs(120, 300, seed=1), separable_pairs(60, 200, seed=2)
    # a per-photo LayerNorm over only 4 features discards each photo's mean and spread across them,
    # which caps what it can learn here; the linear signal is learnt cleanly without it
    model = small_model(layernorm=False)
    fit_normalization(model, train.features)
    config = TrainConfig(max_epochs=10, batch_size=32, learning_rate=1e-2, patience=10, seed=0)
    result = train_pairs(model, train, val, config, progress=False)
    losses = [record["train_loss"] for record in result.history]
    assert losses[-1] < losses[0] / 4
    assert result.best_val_accuracy > 0.9
    assert pairwise_accuracy(model, val) == pytest.approx(result.best_val_accuracy)  # best weights restored
    assert not model.training
    assert all(p.requires_grad for p in model.parameters())
    assert {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"} <= set(result.history[0])


def test_tower_and_head_both_move_unless_the_tower_is_frozen():
    train, val = separable_pairs(40, 100, seed=3), separable_pairs(20, 40, seed=4)
    for train_tower in (True, False):
        model = small_model()
        tower0 = [p.detach().clone() for p in model.siamese_tower.parameters()]
        head0 = [p.detach().clone() for p in model.comparison_head.parameters()]
        config = TrainConfig(max_epochs=2, batch_size=16, learning_rate=1e-2, seed=0, train_tower=train_tower)
        train_pairs(model, train, val, config, progress=False)
        tower_moved = any(not torch.equal(a, b) for a, b in zip(tower0, model.siamese_tower.parameters()))
        head_moved = any(not torch.equal(a, b) for a, b in zip(head0, model.comparison_head.parameters()))
        assert head_moved
        assert tower_moved is train_tower


def test_early_stopping_on_validation_accuracy():
    train = separable_pairs(40, 100, seed=5)
    # a validation set whose labels are the opposite of the training signal: it never improves for long
    val = separable_pairs(20, 60, seed=6)
    val = PairSet(val.features, val.losers, val.winners)
    config = TrainConfig(max_epochs=40, batch_size=16, learning_rate=1e-2, patience=3, seed=0)
    result = train_pairs(small_model(), train, val, config, progress=False)
    assert len(result.history) < 40
    assert len(result.history) - result.best_epoch == 3


def test_keeping_the_last_epoch_ignores_validation():
    train = separable_pairs(40, 100, seed=5)
    val = separable_pairs(20, 60, seed=6)
    val = PairSet(val.features, val.losers, val.winners)  # gets worse as training learns: best would stop early
    config = TrainConfig(max_epochs=8, batch_size=16, learning_rate=1e-2, patience=3, seed=0, keep="last")
    model = small_model()
    result = train_pairs(model, train, val, config, progress=False)
    assert len(result.history) == 8 and result.best_epoch == 8
    assert pairwise_accuracy(model, val) == pytest.approx(result.history[-1]["val_accuracy"])
    with pytest.raises(ValueError, match="'first'"):
        train_pairs(small_model(), train, val, TrainConfig(keep="first"), progress=False)


def test_training_is_reproducible_with_a_seed():
    train, val = separable_pairs(40, 100, seed=7), separable_pairs(20, 40, seed=8)
    scores = []
    for _ in range(2):
        model = small_model(seed=11)
        train_pairs(model, train, val, TrainConfig(max_epochs=3, batch_size=16, seed=5), progress=False)
        scores.append(score_features(model, val.features))
    np.testing.assert_array_equal(*scores)


def test_weighted_pairs_shift_the_loss():
    train = separable_pairs(30, 60, seed=9)
    weights = np.zeros(len(train), np.float32)
    weights[:5] = 1.0
    weighted = PairSet(train.features, train.winners, train.losers, weights)
    model = small_model()
    assert pairwise_accuracy(model, weighted) == pytest.approx(pairwise_accuracy(model, weighted.subset(np.arange(5))))


def test_a_cosine_schedule_learns_and_an_unknown_one_is_refused():
    train, val = separable_pairs(120, 300, seed=1), separable_pairs(60, 200, seed=2)
    model = small_model(layernorm=False)
    fit_normalization(model, train.features)
    config = TrainConfig(max_epochs=10, batch_size=32, learning_rate=1e-2, patience=10, seed=0, schedule="cosine")
    result = train_pairs(model, train, val, config, progress=False)
    assert len(result.history) == 10 and result.best_val_accuracy > 0.9
    with pytest.raises(ValueError, match="'warm'"):
        train_pairs(small_model(), train, val, TrainConfig(schedule="warm"), progress=False)


def test_train_config_is_taken_from_same_named_settings():
    import argparse

    from ranker.ml.training import TrainConfig

    args = argparse.Namespace(max_epochs=7, learning_rate=0.01, seed=3, dataset="elsewhere")
    config = TrainConfig.taken_from(args)
    assert (config.max_epochs, config.learning_rate, config.seed) == (7, 0.01, 3)
    assert config.batch_size == TrainConfig().batch_size and config.schedule == "constant"


def test_weight_averaging_keeps_the_mean_of_the_late_steps():
    from torch.optim.optimizer import register_optimizer_step_post_hook

    train = separable_pairs(40, 100, seed=3)  # 100 pairs, batches of 16: 7 steps an epoch, 28 in all
    config = TrainConfig(max_epochs=4, batch_size=16, learning_rate=1e-2, seed=0, keep="last")
    snapshots: list[list[torch.Tensor]] = []
    model = small_model()
    hook = register_optimizer_step_post_hook(
        lambda *_: snapshots.append([p.detach().clone() for p in model.parameters()])
    )
    try:
        train_pairs(model, train, None, config, progress=False)
        plain = [p.detach().clone() for p in model.parameters()]
        snapshots.clear()
        model = small_model()
        train_pairs(model, train, None, TrainConfig(**{**config.to_dict(), "average_from": 0.5}), progress=False)
    finally:
        hook.remove()
    assert len(snapshots) == 28
    # the same steps as without averaging (the averaging only reads the weights) ...
    for last, same in zip(plain, snapshots[-1]):
        torch.testing.assert_close(last, same)
    # ... and the kept weights are the plain mean of steps 14-28
    for i, weight in enumerate(model.parameters()):
        torch.testing.assert_close(weight.detach(), torch.stack([s[i] for s in snapshots[13:]]).mean(0))
    # (the head's bias never moves: a ranking loss sees only score differences)
    assert not all(torch.allclose(w.detach(), p) for w, p in zip(model.parameters(), plain))
    with pytest.raises(ValueError, match="keep 'last'"):
        train_pairs(small_model(), train, None, TrainConfig(average_from=0.5), progress=False)
    with pytest.raises(ValueError, match="fraction"):
        train_pairs(small_model(), train, None, TrainConfig(keep="last", average_from=1.0), progress=False)
