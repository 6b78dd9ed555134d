"""Device and thread selection for the backbones (ranker/device.py).
(Kept beside the extractors that call it: this suite owns tests/ranker/features/.)"""

from __future__ import annotations

import pytest
import torch

from ranker.device import autocast, configure_threads, select_device


@pytest.fixture
def no_accelerator(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_auto_is_cpu_without_an_accelerator(no_accelerator):
    assert select_device("auto") == torch.device("cpu")
    assert select_device() == torch.device("cpu")


def test_auto_on_this_machine():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        expected = "mps"
    assert select_device("auto").type == expected


def test_auto_prefers_cuda_when_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device("auto") == torch.device("cuda")


@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_explicit_cuda_without_cuda_is_refused(no_accelerator, name):
    with pytest.raises(ValueError, match="CUDA is not available"):
        select_device(name)


def test_explicit_cpu_is_honoured():
    assert select_device("cpu") == torch.device("cpu")


def test_configure_threads(restore_threads, monkeypatch):
    assert configure_threads(1) == 1 and torch.get_num_threads() == 1
    monkeypatch.setenv("PHOTOTRIAGE_TORCH_THREADS", "2")
    assert configure_threads() == 2 and torch.get_num_threads() == 2
    monkeypatch.delenv("PHOTOTRIAGE_TORCH_THREADS")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert configure_threads() == 1  # leaves one core for decoding and the UI
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert configure_threads() == 1


def test_autocast_is_full_precision_on_cpu():
    with autocast(torch.device("cpu")):
        x = torch.ones(2, 2) @ torch.ones(2, 2)
    assert x.dtype == torch.float32
