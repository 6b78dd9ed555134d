"""Real pairs of one scene (HDR on against HDR off): which of each pair every method prefers."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.baselines import Scorers
from benchmarks.common import SHARED_PHOTOS
from benchmarks.ranking.checkpoints import Checkpoint
from benchmarks.ranking.decoding import DECODE_SIZE
from benchmarks.ranking.metrics import credit

#: (better, worse) real pairs of one scene
REAL_PAIRS = (
    ("exif_samples/hdr/canon_hdr_YES.jpg", "exif_samples/hdr/canon_hdr_NO.jpg"),
    ("exif_samples/hdr/iphone_hdr_YES.jpg", "exif_samples/hdr/iphone_hdr_NO.jpg"),
)


def run_real_pairs(checkpoints: Sequence[Checkpoint], scorers: Scorers) -> dict:
    """Which of each real (better, worse) pair every method prefers (decoded at DECODE_SIZE; models as `rank`)."""
    from ranker.io.images import load_image

    pairs = [(SHARED_PHOTOS / a, SHARED_PHOTOS / b) for a, b in REAL_PAIRS]
    pairs = [p for p in pairs if p[0].is_file() and p[1].is_file()]
    if not pairs:
        return {}
    paths = [path for pair in pairs for path in pair]
    scores = scorers.score([load_image(p, max_size=DECODE_SIZE) for p in paths])
    for checkpoint in checkpoints:
        from ranker.culling.pipeline import rank_shoot, run
        from ranker.store.catalog import Catalog

        values = []
        with tempfile.TemporaryDirectory() as tmp:
            catalog = Catalog(Path(tmp) / "c.db")
            for index, (better, worse) in enumerate(pairs):  # each pair is one burst of two frames
                folder = Path(tmp) / f"pair{index}"
                folder.mkdir()
                for path in (better, worse):
                    shutil.copy2(path, folder / path.name)
                ranking = run(rank_shoot(folder, catalog, model_path=checkpoint.path))
                by_name = {p.path.name: p.score for b in ranking.bursts for p in b.photos}
                values += [by_name[better.name], by_name[worse.name]]
            catalog.close()
        scores[checkpoint.name] = values
    rows = {}
    for name, values in scores.items():
        if len(values) == len(paths):
            rows[name] = [credit(values[2 * i], values[2 * i + 1]) for i in range(len(pairs))]
    return {"pairs": [f"{a.name} > {b.name}" for a, b in pairs], "methods": rows}
