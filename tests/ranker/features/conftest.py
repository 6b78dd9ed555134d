"""Fixtures for the feature-extractor tests: photos decoded once, an isolated registry, one torch thread."""

from __future__ import annotations

import pytest
from PIL import Image

from ranker.datasets.synthetic import skimage_photo
from ranker.features import registry
from tests.ranker.features.tiny_models import DATA, load_rgb

SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera")
REAL_PHOTOS = ("landscape_6.jpg", "Canon_40D.jpg", "Nikon_D70.jpg")


@pytest.fixture(scope="session")
def photos() -> dict[str, Image.Image]:
    """scikit-image's bundled photos and the real JPEGs in tests/data (read-only: never mutate them)."""
    loaded = {name: skimage_photo(name) for name in SKIMAGE_PHOTOS}
    loaded.update({name: load_rgb(DATA / name) for name in REAL_PHOTOS})
    return loaded


@pytest.fixture
def small_photos(photos) -> list[Image.Image]:
    """Five different small photos of different shapes: cheap inputs for batch tests."""
    sizes = [(64, 48), (48, 64), (40, 40), (80, 45), (33, 57)]
    names = ["astronaut", "coffee", "chelsea", "rocket", "landscape_6.jpg"]
    return [photos[name].resize(size, Image.Resampling.BILINEAR) for name, size in zip(names, sizes)]


@pytest.fixture
def isolated_registry(monkeypatch):
    """register()/get_extractor() within a test touch copies; the real table and live instances come back after."""
    monkeypatch.setattr(registry, "_SPECS", dict(registry._SPECS))
    monkeypatch.setattr(registry, "_instances", {})
    return registry
