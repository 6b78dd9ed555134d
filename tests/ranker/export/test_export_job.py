"""Tests ranker/export/job.py: an export from a ranking on screen re-reads sidecars first (issue 14 case 2)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ranker.culling.pipeline import run
from ranker.culling.shoot_ranking import RankedBurst, RankedPhoto, ShootRanking
from ranker.decisions import Decision
from ranker.export.job import ExportRequest, export_job
from ranker.ml.model_info import ModelInfo
from ranker.store.catalog import Catalog
from ranker.store.readback import remember
from ranker.xmp import embedded_decision, read_xmp, write_sidecar


def test_rating_written_elsewhere_after_the_ranking_is_what_gets_exported(tmp_path):
    src = tmp_path / "shoot"
    src.mkdir()
    with Catalog(tmp_path / "c.db") as catalog:
        photos = []
        for i in range(2):
            path = src / f"ac_{i}.JPG"
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(path)
            st = path.stat()
            pid = catalog.upsert_photo(f"fp{i}", float(i), "file", {}, {}, [(path, st.st_size, st.st_mtime_ns)])
            catalog.set_decision(pid, Decision(None, 1, None))
            remember(catalog, pid, write_sidecar(path, Decision(None, 1, None)))
            photos.append(RankedPhoto(pid, (path,), i + 1, 1.0 - i, {}, Decision(None, 1, None), {}, float(i)))
        ranking = ShootRanking(src, ModelInfo("test", "test.pt", "given"), (RankedBurst(1, "burst", tuple(photos)),))
        # Lightroom, after the ranking the window shows: 4 stars and Red on the first photo.
        side = src / "ac_0.xmp"
        side.write_bytes(side.read_bytes().replace(b'xmp:Rating="1"', b'xmp:Rating="4" xmp:Label="Red"'))
        later = time.time() + 5
        os.utime(side, (later, later))
        outcome = run(export_job(catalog, ranking, ExportRequest(tmp_path / "out", mode="move", min_rating=1)))
        assert outcome.report.ok and outcome.selected == 2
        assert [c.disk for c in outcome.read_back] == [Decision(None, 4, "red")]
        assert read_xmp(tmp_path / "out" / "ac_0.xmp")[0] == Decision(None, 4, "red")
        assert not (src / "ac_0.JPG").exists()  # moved: the original is not rewritten, so nothing embedded
        assert embedded_decision(tmp_path / "out" / "ac_0.JPG") is None
        assert catalog.decision(photos[0].photo_id) == Decision(None, 4, "red")


def test_nothing_selected(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        ranking = ShootRanking(Path(tmp_path), ModelInfo("test", "test.pt", "given"), ())
        outcome = run(export_job(catalog, ranking, ExportRequest(tmp_path / "out", picks=True)))
        assert outcome.report is None and outcome.selected == 0
