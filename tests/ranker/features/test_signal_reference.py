"""The fast signal code gives the numbers the shipped default was trained on (tests/.../signals_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ranker.features import faces, iqa
from ranker.io.images import load_photo
from tests.ranker.features import signals_reference as reference

#: Rounding-level differences only: the default's inputs must not move. OpenCV's SIMD filters add the
#: float32 taps in another order than NumPy's shifted sums; BRISQUE's local variance (E[x²] - μ²)
#: cancels on flat regions and magnifies that to ~3e-4 relative on its smallest numbers (measured).
RTOL, ATOL = 1e-3, 1e-6


def _camera_like(image: Image.Image, long_side: int, seed: int, path) -> Image.Image:
    """A camera-sized JPEG with grain, decoded the way `rank` decodes it (reduced to the detail size)."""
    w, h = image.size
    scale = long_side / max(w, h)
    big = np.asarray(image.resize((round(w * scale), round(h * scale)), Image.Resampling.BICUBIC), np.float32)
    big = big + np.random.default_rng(seed).normal(0.0, 3.0, big.shape)
    Image.fromarray(np.clip(big + 0.5, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=90)
    return load_photo(path, max_size=iqa.DETAIL_SIZE)[0]


@pytest.fixture(scope="module")
def decoded(photos, tmp_path_factory) -> dict[str, Image.Image]:
    """Camera-like frames (the 1024-px detail path and the 512-px reduction), real JPEGs at their own
    size, and odd and tiny shapes (ragged tiles, the small-image early returns)."""
    tmp = tmp_path_factory.mktemp("reference")
    out = {
        "astronaut-1800": _camera_like(photos["astronaut"], 1800, 1, tmp / "a.jpg"),
        "coffee-2000": _camera_like(photos["coffee"], 2000, 2, tmp / "c.jpg"),
        "rocket-portrait": _camera_like(photos["rocket"].transpose(Image.Transpose.ROTATE_90), 1600, 3, tmp / "r.jpg"),
        "chelsea-odd": photos["chelsea"].resize((333, 251), Image.Resampling.BILINEAR),
        "camera-tiny": photos["camera"].resize((21, 15), Image.Resampling.BILINEAR),
    }
    for name in ("landscape_6.jpg", "Canon_40D.jpg", "Nikon_D70.jpg"):
        out[name] = photos[name]
    return out


def test_every_signal_and_nss_number_matches_the_reference(decoded):
    for name, image in decoded.items():
        want, want_nss = reference.signals(image)
        fresh = image.copy()  # the signals are cached per image object
        got = iqa.quality_signals(fresh)
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=RTOL, abs=ATOL), f"{name}: {key}"
        np.testing.assert_allclose(iqa.nss_vector(fresh), want_nss, rtol=RTOL, atol=ATOL, err_msg=name)


def test_face_signals_match_the_reference(decoded):
    image = decoded["astronaut-1800"]
    want = reference.face_rows(image)
    assert want, "the astronaut's face must be found for this comparison to mean anything"
    got = [face.to_row() for face in faces.analyse(image)]
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)
