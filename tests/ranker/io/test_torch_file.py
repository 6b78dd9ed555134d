"""Reading torch.save files without torch, and refusing anything but data (ranker/io/torch_file.py)."""

from __future__ import annotations

import collections
import fractions
import os

import numpy as np
import pytest
import torch

from ranker.io import torch_file
from ranker.ml.active_model import default_checkpoint_path


def _same(ours, theirs) -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, np.ndarray) and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours, theirs.numpy())
        assert ours.dtype == theirs.numpy().dtype
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            _same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def test_the_shipped_default_reads_as_torch_reads_it():
    path = default_checkpoint_path()
    _same(torch_file.load(path), torch.load(path, map_location="cpu", weights_only=True))


def test_dtypes_views_and_containers_round_trip(tmp_path):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    payload = {
        "f64": torch.linspace(0, 1, 5, dtype=torch.float64),
        "f16": torch.tensor([1.5, -2.0], dtype=torch.float16),
        "i64": torch.tensor([[1, -2], [3, 4]]),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
        "transposed": base.t(),  # a strided view of a shared storage
        "slice": base[1:3, 2:],
        "shared": base,
        "state": collections.OrderedDict(w=torch.ones(2, 2)),
        "meta": {"name": "x", "dims": [1, 2], "pair": (1.5, None), "ok": True},
    }
    path = tmp_path / "p.pt"
    torch.save(payload, path)
    _same(torch_file.load(path), torch.load(path, weights_only=True))


class _Evil:
    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_code_in_a_pickle_is_never_run(tmp_path):
    evil = _Evil()
    evil.marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"model_state_dict": {}, "x": evil}, path)
    with pytest.raises(torch_file.UnsupportedTorchFile, match="refusing to load"):
        torch_file.load(path)
    assert not evil.marker.exists()


@pytest.mark.parametrize("value", [fractions.Fraction(1, 3), np.float32(2.0)])
def test_objects_outside_the_allow_list_are_refused(tmp_path, value):
    path = tmp_path / "other.pt"
    torch.save({"value": value}, path)
    with pytest.raises(torch_file.UnsupportedTorchFile):
        torch_file.load(path)


def test_a_non_zip_file_is_unsupported(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"\x80\x04not a zip")
    with pytest.raises(torch_file.UnsupportedTorchFile, match="not a zip-format"):
        torch_file.load(path)
