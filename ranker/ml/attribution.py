"""What moved a photo's rank: each input group's effect on its 0-100 quality, against a reference frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ranker.ml.quality import Calibration, qualities_of

if TYPE_CHECKING:
    from ranker.ml.model_config import MultiFeatureConfig

#: What each group of model inputs measures, in a photographer's words (a group not named here shows
#: by its extractor name).
GROUP_LABELS = {
    "iqa": "overall sharpness, exposure, colour and contrast",
    "detail": "detail at 100% (focus, grain, JPEG blocks)",
    "nss": "texture statistics (BRISQUE)",
    "scene_stats": "scene statistics (edges, tones, colour, spectrum)",
    "clip": "content (CLIP)",
    "cnn": "structure (ResNet)",
    "exposure_profile vs burst": "exposure against the burst",
    "detail vs burst": "detail against the burst",
    "faces vs burst": "faces against the burst",
}


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group)


def group_effects(
    score: Callable[[np.ndarray], np.ndarray],
    config: MultiFeatureConfig,
    rows: np.ndarray,
    references: Sequence[int | None],
    calibration: Calibration | None,
) -> list[dict[str, float]]:
    """For each input row i with a reference row (references[i]; None: none), {group: Q(row) − Q(row
    with that group's inputs taken from the reference)}: negative where the group costs the photo
    against the reference, positive where it gains. Each group is swapped alone; the effects need not
    add up to the quality gap (the model is not additive), but each says what that part weighed."""
    from ranker.ml.burst_context import input_groups  # the labels alone are read at the app's start-up

    groups = input_groups(config)
    asked = [i for i, ref in enumerate(references) if ref is not None]
    reference_rows = rows[[ref for ref in references if ref is not None]]
    if not asked or not groups:
        return [{} for _ in references]
    swapped = np.repeat(rows[asked], len(groups), axis=0).reshape(len(asked), len(groups), rows.shape[1])
    for g, (_, columns) in enumerate(groups):
        swapped[:, g, columns] = reference_rows[:, columns]
    own = qualities_of(score(rows[asked]), calibration)
    others = qualities_of(score(swapped.reshape(-1, rows.shape[1])), calibration).reshape(len(asked), len(groups))
    gains = np.round(own[:, None] - others, 2)
    effects: list[dict[str, float]] = [{} for _ in references]
    for k, i in enumerate(asked):
        effects[i] = {name: float(gains[k, g]) for g, (name, _) in enumerate(groups)}
    return effects
