"""ResNetLayer3Extractor (ranker/features/cnn.py) on a tiny random-initialised Bottleneck ResNet
(blocks (1, 1, 1, 1): still 1024 channels at layer3), loaded from a torch.save file with weights_only=True."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
import torch

from ranker.features.cnn import IMAGENET_MEAN, IMAGENET_STD, ResNetLayer3Extractor
from ranker.features.registry import get_spec
from ranker.features.torch_backbone import Preprocess
from ranker.features.weights import ModelMissingError
from tests.ranker.features.tiny_models import TINY_RESNET_BLOCKS, fake_weights, save_state, tiny_resnet

PREPROCESS = Preprocess(64, IMAGENET_MEAN, IMAGENET_STD)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model = tiny_resnet()
    return model, save_state(model.state_dict(), tmp_path_factory.mktemp("tiny_resnet") / "tiny-resnet.pth")


def make_extractor(tiny, install=True) -> ResNetLayer3Extractor:
    weights = fake_weights("tinycnn", "tiny-resnet.pth")
    if install:
        weights.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tiny[1], weights.path)
    return ResNetLayer3Extractor("tinycnn", "tiny-1", weights, PREPROCESS, blocks=TINY_RESNET_BLOCKS, device="cpu")


def test_layer3_features_of_the_saved_model(tiny, small_photos, one_thread, monkeypatch):
    model, _ = tiny
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k) or real_load(*a, **k))
    extractor = make_extractor(tiny)
    out = extractor.extract(small_photos)
    assert [k.get("weights_only") for k in loads] == [True]  # never unpickles arbitrary objects
    assert extractor.dim == 1024
    assert out.shape == (len(small_photos), 1024) and out.dtype == np.float32
    assert np.isfinite(out).all() and (out >= 0).all()  # pooled post-ReLU activations
    with torch.inference_mode():
        x = torch.stack([PREPROCESS(image) for image in small_photos])
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        expected = model.layer3(model.layer2(model.layer1(x))).mean(dim=(2, 3))
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-4, atol=1e-5)
    # layer4 and fc are dropped after loading
    assert isinstance(extractor.module().layer4, torch.nn.Identity)
    assert isinstance(extractor.module().fc, torch.nn.Identity)


def test_deterministic_and_batches(tiny, small_photos, one_thread):
    extractor = make_extractor(tiny)
    extractor.batch_size = 2
    empty = extractor.extract([])
    assert empty.shape == (0, 1024) and empty.dtype == np.float32
    assert extractor.extract(small_photos[:1]).shape == (1, 1024)
    first = extractor.extract(small_photos)
    np.testing.assert_array_equal(first, extractor.extract(small_photos))
    singles = np.concatenate([extractor.extract([image]) for image in small_photos])
    np.testing.assert_allclose(first, singles, rtol=1e-4, atol=1e-5)


def test_missing_weights_raise_fast(tiny, small_photos):
    extractor = make_extractor(tiny, install=False)
    start = time.perf_counter()
    for call in (extractor.check_available, lambda: extractor.extract(small_photos[:1])):
        with pytest.raises(ModelMissingError, match="phototriage models download tinycnn"):
            call()
    assert time.perf_counter() - start < 1.0
    assert extractor._module is None  # nothing was built


def test_real_cnn_spec_reports_missing_weights_fast():
    extractor = get_spec("cnn").create("cpu")
    assert (extractor.name, extractor.dim, extractor.blocks) == ("cnn", 1024, (3, 4, 6, 3))
    start = time.perf_counter()
    with pytest.raises(ModelMissingError, match="phototriage models download cnn"):
        extractor.check_available()
    assert time.perf_counter() - start < 1.0


def test_cnn_validator_accepts_a_resnet_state_dict_and_refuses_others(tiny, tmp_path):
    validate = get_spec("cnn").validate
    validate(tiny[1])
    with pytest.raises(ValueError, match="missing tensors"):
        validate(save_state({"conv1.weight": torch.zeros(1)}, tmp_path / "partial.pth"))
