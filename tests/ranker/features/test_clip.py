"""ClipExtractor (ranker/features/clip.py) loading a tiny random-initialised open_clip model from a local
weights file through the real path: open_clip.create_model(arch, pretrained=<cached file>)."""

from __future__ import annotations

import shutil
import sys
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ranker.features.clip import OPENAI_MEAN, OPENAI_STD, ClipExtractor
from ranker.features.registry import ExtractorSpec, get_spec
from ranker.features.torch_backbone import Preprocess
from ranker.features.weights import ModelMissingError
from tests.ranker.features.tiny_models import (
    TINY_CLIP_DIM,
    fake_weights,
    save_state,
    tiny_clip_config,
    tiny_clip_model,
)

PREPROCESS = Preprocess(32, OPENAI_MEAN, OPENAI_STD)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """(arch name, model, {suffix: saved state_dict file}) with the toy config registered in open_clip."""
    directory = tmp_path_factory.mktemp("tiny_clip")
    with tiny_clip_config(directory) as arch:
        model = tiny_clip_model()
        files = {
            suffix: save_state(model.state_dict(), directory / f"tiny{suffix}") for suffix in (".safetensors", ".pt")
        }
        yield arch, model, files


def make_extractor(tiny_clip, suffix=".safetensors", install=True) -> ClipExtractor:
    arch, _, files = tiny_clip
    weights = fake_weights("tinyclip", f"tiny-clip{suffix}")
    if install:
        weights.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files[suffix], weights.path)
    return ClipExtractor("tinyclip", arch, TINY_CLIP_DIM, "tiny-1", weights, PREPROCESS, device="cpu")


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_loads_the_saved_weights_from_the_cache(tiny_clip, suffix, small_photos, one_thread):
    _, model, _ = tiny_clip
    extractor = make_extractor(tiny_clip, suffix)
    extractor.check_available()
    out = extractor.extract(small_photos)
    assert out.shape == (len(small_photos), TINY_CLIP_DIM) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # the numbers are those of the saved model, so the file really was loaded (not a fresh random init)
    with torch.inference_mode():
        expected = F.normalize(model.visual(torch.stack([PREPROCESS(image) for image in small_photos])), dim=-1)
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-5)
    assert not extractor.module().training
    assert not any(p.requires_grad for p in extractor.module().parameters())


def test_deterministic_and_batch_independent(tiny_clip, small_photos, one_thread):
    extractor = make_extractor(tiny_clip)
    extractor.batch_size = 2  # five photos cross two batch boundaries
    first = extractor.extract(small_photos)
    np.testing.assert_array_equal(first, extractor.extract(small_photos))
    singles = np.concatenate([extractor.extract([image]) for image in small_photos])
    np.testing.assert_allclose(first, singles, atol=1e-5)
    # a fresh extractor (a new process, in effect) gives the same numbers
    np.testing.assert_allclose(first, make_extractor(tiny_clip).extract(small_photos), atol=1e-6)


def test_empty_and_single_batches(tiny_clip, small_photos, one_thread):
    extractor = make_extractor(tiny_clip)
    empty = extractor.extract([])
    assert empty.shape == (0, TINY_CLIP_DIM) and empty.dtype == np.float32
    one = extractor.extract(small_photos[:1])
    assert one.shape == (1, TINY_CLIP_DIM) and one.dtype == np.float32


def test_missing_weights_raise_fast_without_importing_open_clip(tiny_clip, small_photos, monkeypatch):
    extractor = make_extractor(tiny_clip, install=False)
    monkeypatch.setitem(sys.modules, "open_clip", None)  # importing it now would raise ImportError
    start = time.perf_counter()
    for call in (extractor.check_available, lambda: extractor.extract(small_photos[:1])):
        with pytest.raises(ModelMissingError, match="phototriage models download tinyclip") as info:
            call()
        assert "phototriage models import tinyclip FILE" in str(info.value)
        assert str(extractor.weights.path) in str(info.value)
    assert time.perf_counter() - start < 1.0


def test_real_clip_spec_reports_missing_weights_fast(monkeypatch):
    extractor = get_spec("clip").create("cpu")
    assert (extractor.name, extractor.dim) == ("clip", 512)
    monkeypatch.setitem(sys.modules, "open_clip", None)
    start = time.perf_counter()
    with pytest.raises(ModelMissingError, match="phototriage models download clip"):
        extractor.check_available()
    assert time.perf_counter() - start < 1.0


def test_registered_tiny_spec_runs_through_the_registry(tiny_clip, isolated_registry, small_photos, one_thread):
    arch, _, files = tiny_clip
    weights = fake_weights("tinyclip", "tiny-clip.safetensors")
    spec = isolated_registry.register(
        ExtractorSpec(
            "tinyclip",
            TINY_CLIP_DIM,
            "toy CLIP",
            "test-only",
            lambda device: ClipExtractor("tinyclip", arch, TINY_CLIP_DIM, "tiny-1", weights, PREPROCESS, device),
            weights=weights,
            validate=get_spec("clip").validate,
        )
    )
    assert not spec.is_ready()
    weights.path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(files[".safetensors"], weights.path)
    assert spec.is_ready()
    spec.validate(weights.path)  # the real clip validator accepts an open_clip state_dict
    extractor = isolated_registry.get_extractor("tinyclip", "cpu")
    assert isolated_registry.get_extractor("tinyclip", "cpu") is extractor
    assert extractor.extract(small_photos).shape == (len(small_photos), TINY_CLIP_DIM)


def test_tiny_spec_registration_was_undone():
    with pytest.raises(KeyError):
        get_spec("tinyclip")
