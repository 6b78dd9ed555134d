"""Fixtures shared by the ranker tests: the miniature PhotoTriage release, single-threaded training, a JPEG
draft() spy."""

from __future__ import annotations

import shutil

import pytest
import torch
from PIL import JpegImagePlugin

from tests.mini_dataset import write_mini_dataset


@pytest.fixture
def one_thread():
    """Tiny models train ~40x faster on one thread than with intra-op threads fighting on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return write_mini_dataset(tmp_path_factory.mktemp("mini") / "phototriage")


@pytest.fixture
def mini(pristine, tmp_path):
    """A private copy each test may damage."""
    shutil.copytree(pristine.root, tmp_path / "phototriage")
    return type(pristine)(tmp_path / "phototriage", pristine.expected)


@pytest.fixture
def draft_calls(monkeypatch):
    """Every JPEG draft() call as (mode, requested size, DCT-scaled decode size)."""
    calls = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real(self, mode, size)
        calls.append((mode, size, self.size))  # self.size is now the DCT-scaled decode size
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return calls
