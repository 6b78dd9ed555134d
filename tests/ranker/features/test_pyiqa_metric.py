"""pyiqa metrics as features (ranker/features/pyiqa_metric.py): PIQE offline, and weight-needing metrics
that fail at once instead of downloading or retrying an unreachable host."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from ranker.features.pyiqa_metric import (
    WEIGHTLESS_METRICS,
    PyiqaMetricExtractor,
    _ready_marker,
    metric_is_ready,
)
from ranker.features.registry import get_spec
from ranker.features.weights import ModelMissingError


@pytest.fixture
def mark_ready():
    """Pretend `models download pyiqa:<metric>` succeeded (the ready marker), so check_available passes."""

    def mark(metric: str) -> None:
        marker = _ready_marker(metric)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("test\n")

    return mark


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_piqe_works_offline(small_photos, photos, one_thread):
    extractor = get_spec("pyiqa:piqe").create("cpu")
    extractor.check_available()  # weightless: ready on a fresh machine
    start = time.perf_counter()
    empty = extractor.extract([])
    print(f"pyiqa import + PIQE creation: {time.perf_counter() - start:.1f} s")
    assert empty.shape == (0, 1) and empty.dtype == np.float32
    one = extractor.extract(small_photos[:1])
    assert one.shape == (1, 1) and one.dtype == np.float32
    batch = [photo.resize((128, 96)) for photo in (photos["astronaut"], photos["coffee"], photos["chelsea"])]
    out = extractor.extract(batch)
    assert out.shape == (3, 1) and out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(out, extractor.extract(batch))
    np.testing.assert_array_equal(out[1], extractor.extract(batch[1:2])[0])
    assert extractor.lower_better is True  # PIQE: lower is better, recorded for explanations


def test_weight_needing_metric_fails_fast_without_importing_pyiqa(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyiqa", None)  # any `import pyiqa` now raises ImportError
    extractor = get_spec("pyiqa:musiq").create("cpu")
    start = time.perf_counter()
    with pytest.raises(ModelMissingError, match=r"phototriage models download pyiqa:musiq"):
        extractor.check_available()
    with pytest.raises(ModelMissingError):
        extractor.extract([])
    assert time.perf_counter() - start < 1.0
    assert not get_spec("pyiqa:musiq").is_ready()


def test_readiness():
    assert {"piqe", "entropy"} <= WEIGHTLESS_METRICS
    assert metric_is_ready("piqe") and not metric_is_ready("musiq")


@pytest.mark.timeout(20)
def test_forced_creation_refuses_to_download_at_once(monkeypatch, mark_ready, tmp_path, photos):
    """Even past check_available (a stale marker), creating the metric cannot reach the network:
    _no_downloads turns pyiqa's download into an immediate ModelMissingError, no ~50 s retry."""
    pytest.importorskip("pyiqa")
    from pyiqa.utils import download_util

    # pyiqa's own cache (under ~/.cache/torch) must not satisfy it either
    monkeypatch.setattr(download_util, "DEFAULT_CACHE_DIR", str(tmp_path / "pyiqa-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    saved_download = download_util.download_url_to_file
    mark_ready("musiq")
    extractor = PyiqaMetricExtractor("musiq", "cpu")
    start = time.perf_counter()
    with pytest.raises(ModelMissingError, match="pyiqa:musiq: weights not cached"):
        extractor.extract([photos["coffee"].resize((64, 48))])
    elapsed = time.perf_counter() - start
    print(f"forced pyiqa:musiq failed after {elapsed:.2f} s")
    assert elapsed < 15
    # everything _no_downloads patched is put back
    assert download_util.download_url_to_file is saved_download
    assert "HF_HUB_OFFLINE" not in os.environ
    assert extractor._model is None


@pytest.mark.timeout(20)
def test_unknown_metric_is_a_clear_error(mark_ready):
    pytest.importorskip("pyiqa")
    mark_ready("nosuchmetric")
    with pytest.raises(ValueError, match="pyiqa has no metric 'nosuchmetric'"):
        PyiqaMetricExtractor("nosuchmetric", "cpu").extract([])
