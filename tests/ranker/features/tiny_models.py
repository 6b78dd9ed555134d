"""Tiny random-initialised backbones and image helpers shared by the feature-extractor tests.

The real weights (hundreds of MB) are never present in tests: these stand-ins are built with the
same architectures at toy size, saved in the same file formats, and loaded through the real code.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ranker.features.weights import WeightsSpec

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"

#: an open_clip 3.3 model config (same keys as model_configs/ViT-B-32.json) at toy size:
#: 32-d embedding, one 32-wide transformer block per tower, 2×2 patches of 16 px on a 32 px image.
TINY_CLIP_NAME = "PhotoTriageTest-Tiny-ViT"
TINY_CLIP_DIM = 32
TINY_CLIP_CONFIG = {
    "embed_dim": TINY_CLIP_DIM,
    # head_width defaults to 64, which would leave a 32-wide tower with zero attention heads
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 1000, "width": 32, "heads": 2, "layers": 1},
}
TINY_RESNET_BLOCKS = (1, 1, 1, 1)


def fake_weights(name: str, filename: str, **kwargs) -> WeightsSpec:
    """A WeightsSpec whose URL can never resolve (and the suite blocks the network anyway)."""
    defaults = {"url": f"https://weights.invalid/{filename}", "licence": "test-only", "size_bytes": 1234}
    return WeightsSpec(name=name, filename=filename, **{**defaults, **kwargs})


@contextlib.contextmanager
def tiny_clip_config(directory: Path) -> Iterator[str]:
    """Register the toy architecture with open_clip for the duration; open_clip's registry is restored after."""
    import open_clip
    from open_clip import factory

    config_file = directory / f"{TINY_CLIP_NAME}.json"
    config_file.write_text(json.dumps(TINY_CLIP_CONFIG))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(factory, "_MODEL_CONFIG_PATHS", list(factory._MODEL_CONFIG_PATHS))
        mp.setattr(factory, "_MODEL_CONFIGS", dict(factory._MODEL_CONFIGS))
        open_clip.add_model_config(config_file)
        assert TINY_CLIP_NAME in open_clip.list_models()
        yield TINY_CLIP_NAME


def tiny_clip_model():
    """A random-initialised toy CLIP (seeded, so every test sees the same one)."""
    import open_clip

    torch.manual_seed(0)
    return open_clip.create_model(TINY_CLIP_NAME, device="cpu").eval()


def tiny_resnet():
    from torchvision.models.resnet import Bottleneck, ResNet

    torch.manual_seed(0)
    return ResNet(Bottleneck, list(TINY_RESNET_BLOCKS)).eval()


def save_state(state: dict[str, torch.Tensor], path: Path) -> Path:
    """Save a state_dict as .safetensors or with torch.save, by the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({key: value.contiguous() for key, value in state.items()}, str(path))
    else:
        torch.save(state, path)
    return path


def load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def to_pil(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8))


def as_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def add_gaussian_noise(image: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    """Additive white Gaussian noise of σ (0-1 scale) in sRGB, independent per channel, then 8-bit."""
    rng = np.random.default_rng(seed)
    rgb = as_float(image)
    return to_pil(rgb + rng.normal(0.0, sigma, rgb.shape).astype(np.float32))


def _to_linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def exposed(image: Image.Image, ev: float) -> Image.Image:
    """The same frame `ev` stops brighter (negative: darker), scaled in linear light as a camera would."""
    return to_pil(_to_srgb(_to_linear(as_float(image)) * 2.0**ev))


def mid_grey_ev(image: Image.Image) -> float:
    """The exposure change (stops) that puts the frame's median luma at mid-grey (0.5): the
    mid-grey-balanced exposure a well-exposed frame is judged against."""
    from ranker.features.iqa import luminance

    linear = _to_linear(as_float(image))
    lo, hi = -6.0, 6.0
    for _ in range(24):
        ev = (lo + hi) / 2
        if np.median(luminance(_to_srgb(linear * 2.0**ev).astype(np.float32))) < 0.5:
            lo = ev
        else:
            hi = ev
    return (lo + hi) / 2
