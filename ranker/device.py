"""Pick the torch device and thread count deliberately (CUDA, then Apple MPS, then CPU)."""

from __future__ import annotations

import os

import torch


def select_device(preference: str = "auto") -> torch.device:
    """'auto' takes CUDA when present, else MPS, else CPU; an explicit name is honoured or refused."""
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {preference!r} requested but CUDA is not available")
    return device


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads and return the number chosen.

    Default: leave one core for decoding and the UI. On a 2-core machine one torch thread
    measured faster than two whenever the other core was busy (GUIDE §4).
    PHOTOTRIAGE_TORCH_THREADS overrides.
    """
    if threads is None:
        env = os.environ.get("PHOTOTRIAGE_TORCH_THREADS")
        threads = int(env) if env else max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    return threads


def autocast(device: torch.device) -> torch.autocast:
    """Mixed precision on CUDA (fp16 halves memory and doubles throughput); full precision elsewhere."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return torch.autocast(device_type="cpu", enabled=False)
