"""Readable scores: a calibrated 0-100 technical quality per photo and how clear a burst's lead is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict, cast

import numpy as np
import numpy.typing as npt

#: A lead at least this large (model-score units) is a "clear pick": the margin the ranker was trained to
#: put between a better and a worse frame (TrainConfig.margin). Below it the model itself is unsure.
DEFAULT_MARGIN = 0.5
CLEAR_PICK = "clear pick"
CLOSE_CALL = "close call"


class Calibration(TypedDict):
    """A logistic from model score to 0-100, as a checkpoint's info carries it (JSON)."""

    low: float
    high: float
    centre: float
    scale: float
    kind: NotRequired[str]  # "logistic"
    fitted_to: NotRequired[str]  # "MOS" or "scores"


def fit_calibration(scores: np.ndarray, mos: np.ndarray | None) -> Calibration:
    """A monotone map from model score to 0-100: a logistic fitted to human opinion scores (MOS 0-100),
    the standard mapping of objective to subjective quality (VQEG); without MOS, a logistic centred on
    the scores' median with their spread as its scale, so scores still read as 0-100 percent-like."""
    scores = np.asarray(scores, dtype=np.float64)
    centre, spread = float(np.median(scores)), float(scores.std() or 1.0)
    if mos is None or len(scores) < 8:
        return {"kind": "logistic", "low": 0.0, "high": 100.0, "centre": centre, "scale": spread, "fitted_to": "scores"}
    from scipy.optimize import curve_fit

    mos = np.asarray(mos, dtype=np.float64)
    start = (float(mos.min()), float(mos.max()), centre, spread / 2)
    try:
        (low, high, centre, scale), _ = curve_fit(_logistic, scores, mos, p0=start, maxfev=20000)
    except RuntimeError:  # no convergence: fall back to the unfitted curve over the MOS range
        low, high, scale = start[0], start[1], start[3]
    if high < low:  # a decreasing fit would invert the ranking; the mirror image is the same curve
        low, high, scale = high, low, -scale
    return {
        "kind": "logistic",
        "low": float(low),
        "high": float(high),
        "centre": float(centre),
        "scale": float(abs(scale) or 1.0),
        "fitted_to": "MOS",
    }


def _logistic(
    s: npt.NDArray[np.float64] | float, low: float, high: float, centre: float, scale: float
) -> npt.NDArray[np.float64] | float:
    from scipy.special import expit  # saturates quietly where 1 / (1 + exp(-x)) overflows

    # scipy ships no types here; expit is a ufunc: an array for an array, a float64 for a float
    return cast("npt.NDArray[np.float64] | float", low + (high - low) * expit((s - centre) / scale))


def quality_of(score: float, calibration: Calibration | None) -> float:
    """0-100 technical quality of one model score (higher is better), clipped to the scale."""
    return float(qualities_of(np.asarray([score], dtype=np.float64), calibration)[0])


def qualities_of(scores: np.ndarray, calibration: Calibration | None) -> npt.NDArray[np.float64]:
    """quality_of for an array of model scores."""
    if not calibration:
        calibration = {"low": 0.0, "high": 100.0, "centre": 0.0, "scale": 1.0}
    value = _logistic(
        np.asarray(scores, dtype=np.float64),
        calibration["low"],
        calibration["high"],
        calibration["centre"],
        calibration["scale"],
    )
    return np.clip(value, 0.0, 100.0)


@dataclass(frozen=True)
class Lead:
    """How clear a burst's best frame is: its score lead over the runner-up and the verdict."""

    margin: float  # score of #1 minus score of #2 (model units)
    label: str  # CLEAR_PICK | CLOSE_CALL


def burst_lead(scores: Sequence[float], margin: float = DEFAULT_MARGIN) -> Lead | None:
    """None for a single photo (nothing to compare with); else the verdict on the top two scores."""
    if len(scores) < 2:
        return None
    top = sorted((float(s) for s in scores), reverse=True)
    lead = top[0] - top[1]
    return Lead(lead, CLEAR_PICK if lead >= margin else CLOSE_CALL)
