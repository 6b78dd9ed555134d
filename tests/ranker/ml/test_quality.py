"""Readable scores (ranker/ml/quality.py): a monotone 0-100 quality calibrated to MOS, and the burst lead verdict."""

from __future__ import annotations

import numpy as np

from ranker.ml.quality import CLEAR_PICK, CLOSE_CALL, burst_lead, fit_calibration, quality_of


def test_calibration_fits_human_scores_and_stays_monotone_within_0_100():
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 1, 300)
    mos = 50 + 30 * np.tanh(scores) + rng.normal(0, 3, 300)
    calibration = fit_calibration(scores, mos)
    assert calibration["fitted_to"] == "MOS"
    predicted = np.asarray([quality_of(s, calibration) for s in scores])
    assert np.corrcoef(predicted, mos)[0, 1] > 0.9
    grid = [quality_of(s, calibration) for s in np.linspace(-20, 20, 101)]
    assert all(0.0 <= q <= 100.0 for q in grid) and grid == sorted(grid)


def test_a_decreasing_fit_never_inverts_the_ranking():
    scores = np.linspace(-2, 2, 50)
    calibration = fit_calibration(scores, 100 - 20 * scores)  # nonsense labels: worse scores rated higher
    assert quality_of(2.0, calibration) >= quality_of(-2.0, calibration)


def test_without_human_scores_the_scale_centres_on_the_median():
    calibration = fit_calibration(np.asarray([-3.0, -1.0, 0.0, 1.0, 3.0]), None)
    assert quality_of(0.0, calibration) == 50.0 and quality_of(3.0, calibration) > 50.0


def test_lead_is_a_clear_pick_only_beyond_the_training_margin():
    assert burst_lead([1.0]) is None
    assert burst_lead([0.2, 1.0, 0.1]).label == CLEAR_PICK
    lead = burst_lead([0.9, 1.0, -2.0])
    assert lead.label == CLOSE_CALL and abs(lead.margin - 0.1) < 1e-9
    assert burst_lead([0.9, 1.0], margin=0.05).label == CLEAR_PICK
