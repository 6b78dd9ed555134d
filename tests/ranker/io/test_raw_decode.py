"""Tests for ranker/io/raw_decode.py: which LibRaw path a RAW takes (embedded preview, half or full demosaic)."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rawpy

from ranker.io import raw_decode
from ranker.io.images import load_image, load_photo, read_metadata
from tests.synthetic_files import (
    UPRIGHT,
    corner_colours,
    grey,
    stored_for_orientation,
    textured_image,
    write_dng,
    write_jpeg,
)

SHARED = Path(__file__).resolve().parents[4] / "shared" / "photos"
CR2 = SHARED / "raw" / "IMG_5952.CR2"
needs_cr2 = pytest.mark.skipif(not CR2.is_file(), reason="shared/photos/raw/IMG_5952.CR2 not present")

Thumb = namedtuple("Thumb", "format data")


class RawSpy:
    """Wraps rawpy.RawPy to record which decode path was taken (and optionally fake the preview)."""

    def __init__(self, raw, recorder):
        self._raw, self._recorder = raw, recorder

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._raw.close()

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def extract_thumb(self):
        self._recorder.calls.append("thumb")
        return self._recorder.thumb or self._raw.extract_thumb()

    def postprocess(self, **kwargs):
        self._recorder.calls.append("half" if kwargs.get("half_size") else "full")
        return self._raw.postprocess(**kwargs)


@pytest.fixture
def raw_spy(monkeypatch):
    recorder = SimpleNamespace(calls=[], thumb=None)
    real = rawpy.imread
    monkeypatch.setattr(raw_decode.rawpy, "imread", lambda f: RawSpy(real(f), recorder))
    return recorder


@pytest.mark.parametrize("orientation", range(1, 9))
def test_synthetic_dng_every_orientation(tmp_path, orientation, raw_spy):
    path = write_dng(
        tmp_path / "o.dng", size=(256, 192), orientation=orientation, capture_time=datetime(2024, 1, 2, 3, 4, 5)
    )
    expected = (256, 192) if orientation <= 4 else (192, 256)
    img, meta = load_photo(path)
    assert img.size == expected and corner_colours(img) == UPRIGHT
    assert (meta.width, meta.height, meta.orientation) == (*expected, orientation)
    assert meta.capture_time == datetime(2024, 1, 2, 3, 4, 5)
    assert (meta.make, meta.model) == ("PhotoTriage", "Synthetic DNG")
    small = load_image(path, max_size=100)
    assert max(small.size) == 100 and corner_colours(small) == UPRIGHT
    assert raw_spy.calls == ["full", "thumb", "half"]  # no preview in this DNG


def test_dng_small_max_size_demosaics_full_when_half_is_too_small(tmp_path, raw_spy):
    path = write_dng(tmp_path / "x.dng", size=(256, 192))
    assert load_image(path, max_size=200).size == (200, 150)
    assert raw_spy.calls == ["thumb", "full"]  # half size (128 px) would have to be upscaled


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_dng_embedded_bitmap_preview_is_used_and_rotated(tmp_path, orientation, raw_spy):
    path = write_dng(tmp_path / "p.dng", size=(256, 192), orientation=orientation, preview_size=(256, 192))
    img = load_image(path, max_size=128)
    assert raw_spy.calls == ["thumb"]
    assert max(img.size) == 128 and corner_colours(img) == UPRIGHT


def test_preview_smaller_than_max_size_falls_back_to_demosaic(tmp_path, raw_spy):
    path = write_dng(tmp_path / "p.dng", size=(256, 192), preview_size=(128, 96))
    assert load_image(path, max_size=200).size == (200, 150)
    assert raw_spy.calls == ["thumb", "full"]


def test_preview_with_other_aspect_is_not_trusted(tmp_path, raw_spy):
    path = write_dng(tmp_path / "p.dng", size=(256, 192), preview_size=(256, 144))  # letterboxed 16:9
    load_image(path, max_size=100)
    assert raw_spy.calls == ["thumb", "half"]


@pytest.mark.parametrize("orientation", [1, 6])
def test_embedded_jpeg_preview_uses_draft_and_raw_orientation(tmp_path, orientation, raw_spy, draft_calls):
    path = write_dng(tmp_path / "j.dng", size=(256, 192), orientation=orientation)
    upright = textured_image((1024, 768) if orientation == 1 else (768, 1024))
    stored = stored_for_orientation(upright, orientation)
    jpeg = write_jpeg(tmp_path / "preview.jpg", stored)
    raw_spy.thumb = Thumb(rawpy.ThumbFormat.JPEG, jpeg.read_bytes())
    img = load_image(path, max_size=256)
    assert raw_spy.calls == ["thumb"]
    assert draft_calls and draft_calls[0][2] == (256, 192)
    assert corner_colours(img) == UPRIGHT and max(img.size) == 256


@needs_cr2
def test_real_cr2_metadata():
    meta = read_metadata(CR2)
    assert (meta.make, meta.model) == ("Canon", "Canon EOS 30D")
    assert meta.capture_time == datetime(2009, 7, 21, 13, 3, 20)
    assert meta.exposure_time == pytest.approx(1 / 400) and meta.aperture == 22 and meta.iso == 640
    assert (meta.width, meta.height, meta.orientation) == (3522, 2348, 1)


@needs_cr2
def test_real_cr2_preview_versus_half_size(raw_spy):
    preview = load_image(CR2, max_size=1024)
    assert raw_spy.calls == ["thumb"] and preview.size == (1024, 683)
    raw_spy.calls.clear()
    half = load_image(CR2, max_size=1761)  # the 1728 px preview is too small; half size is 1761 px
    assert raw_spy.calls == ["thumb", "half"] and half.size == (1761, 1174)
    # Camera JPEG and LibRaw render tones differently, but it is the same picture.
    a, b = grey(preview).ravel(), grey(half).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.9
