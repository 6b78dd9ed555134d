"""ImageCache: decodes off the UI thread into an LRU with a byte budget; unreadable files report why."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage

from phototriage_gui.image_cache import FULL, THUMB, ImageCache, fit_size
from phototriage_gui.workers import SyncPool
from ranker.io import preview
from tests.synthetic_files import corner_colours, stored_for_orientation, textured_image, write_jpeg


def test_lru_budget_and_errors(qtbot, shoot):
    files = sorted(shoot.glob("*.JPG"))
    bad = shoot / "broken.jpg"
    bad.write_bytes(b"not an image")
    cache = ImageCache(SyncPool(), preview_size=320, preview_budget_mb=1, thumb_budget_mb=1)
    cache.set_paths({str(p): p for p in [*files, bad]})
    for path in files:
        cache.request(str(path), 320)
    cache.request(str(bad), THUMB)
    qtbot.waitUntil(cache.idle)
    kept = [p for p in files if cache.get(str(p), 320) is not None]
    # 320×320 RGB ≈ 300 kB: a 1 MB budget keeps the last few, oldest evicted first
    assert 1 <= len(kept) < len(files) and kept == files[-len(kept) :]
    assert cache.full_size(str(files[0])) in ((320, 320), (320, 213))
    assert cache.error(str(bad), THUMB) and cache.get(str(bad), THUMB) is None


def test_prefetch_replaces_the_queue(qtbot, shoot):
    files = sorted(str(p) for p in shoot.glob("*.JPG"))
    cache = ImageCache(SyncPool(), preview_size=320)
    cache.set_paths({k: shoot / k.rsplit("/", 1)[1] for k in files})
    cache.prefetch(files[:6], 320)
    cache.prefetch(files[6:8], 320)  # the user moved on: the first batch is no longer wanted
    qtbot.waitUntil(cache.idle)
    assert all(cache.get(k, 320) is not None for k in files[6:8])
    assert all(cache.get(k, 320) is None for k in files[:6])


def _rgb(image) -> np.ndarray:
    """A QImage's pixels as an H×W×3 RGB array (via Qt's own conversion, independent of PIXEL_ORDER)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    row = rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), np.uint8, count=row * rgb.height()).reshape(rgb.height(), row)
    return data[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


@pytest.mark.parametrize("orientation", [1, 6, 3, 8])
def test_previews_are_rgb32_upright_and_exactly_the_fit_size(qtbot, tmp_path, orientation):
    upright = textured_image((1200, 800))
    path = write_jpeg(tmp_path / "o.jpg", stored_for_orientation(upright, orientation), orientation=orientation)
    cache = ImageCache(SyncPool(), preview_size=1024)
    cache.set_paths({"o": path})
    cache.set_fit_box((700, 500))
    cache.request("o", 1024)
    qtbot.waitUntil(cache.idle)
    shown = cache.get("o", 1024)
    # what ImageView draws at fit, so painting it is a blit; in the format the raster engine paints as is
    assert (shown.width(), shown.height()) == fit_size((1200, 800), (700, 500)) == (700, 467)
    assert shown.format() == QImage.Format.Format_RGB32 and cache.full_size("o") == (1200, 800)
    expected = np.asarray(upright.resize((700, 467), Image.Resampling.BOX), np.float32)
    assert np.abs(_rgb(shown).astype(np.float32) - expected).mean() < 6
    assert corner_colours(Image.fromarray(_rgb(shown))) == corner_colours(upright)


def test_thumbnails_and_unboxed_previews_stay_within_their_long_side(qtbot, tmp_path):
    path = write_jpeg(tmp_path / "t.jpg", textured_image((2400, 1600)))
    cache = ImageCache(SyncPool(), preview_size=1000)
    cache.set_paths({"t": path})
    cache.request("t", THUMB)
    cache.request("t", 1000)  # no view size known yet: the cap alone (the 1/2-scale decode is 1200 px)
    qtbot.waitUntil(cache.idle)
    assert (cache.get("t", THUMB).width(), cache.get("t", THUMB).height()) == (THUMB, 171)
    assert (cache.get("t", 1000).width(), cache.get("t", 1000).height()) == (1000, 667)


def test_full_pixels_are_the_files_and_the_preview_is_scaled_from_them(qtbot, tmp_path, monkeypatch):
    upright = textured_image((900, 600))
    path = write_jpeg(tmp_path / "f.jpg", stored_for_orientation(upright, 6), orientation=6)
    decodes = []
    original = preview.render_pixels

    def counting(*args, **kwargs):
        decodes.append(kwargs.get("max_size", args[2] if len(args) > 2 else None))
        return original(*args, **kwargs)

    monkeypatch.setattr(preview, "render_pixels", counting)
    cache = ImageCache(SyncPool(), preview_size=512)
    cache.set_paths({"f": path})
    cache.set_fit_box((400, 400))
    cache.request("f", FULL, urgent=True)
    qtbot.waitUntil(cache.idle)
    full = cache.get("f", FULL)
    assert full.format() == QImage.Format.Format_RGB32 and (full.width(), full.height()) == (900, 600)
    # the same libjpeg-turbo decode as the core's, upright: the very pixels 100% must show
    assert np.array_equal(_rgb(full), np.asarray(preview.render(path).image))
    small = cache.get("f", 512)
    assert small is not None and (small.width(), small.height()) == (400, 267)
    assert decodes == [None]  # one decode of the file; the fit preview came from the full pixels
    assert corner_colours(Image.fromarray(_rgb(small))) == corner_colours(upright)


def test_a_preview_asked_for_with_the_full_pixels_is_scaled_from_them_not_decoded_again(qtbot, tmp_path, monkeypatch):
    path = write_jpeg(tmp_path / "b.jpg", textured_image((1200, 800)))
    sizes = []
    original = preview.render_pixels

    def counting(path, allocate, max_size=None, **kwargs):
        sizes.append(max_size)
        return original(path, allocate, max_size, **kwargs)

    monkeypatch.setattr(preview, "render_pixels", counting)
    cache = ImageCache(SyncPool(), preview_size=512)
    cache.set_paths({"b": path})
    cache.request("b", 512, urgent=True)  # as a view zoomed to 100% asks: its preview, then the full pixels
    cache.request("b", FULL, urgent=True)
    qtbot.waitUntil(cache.idle)
    assert sizes == [None]
    assert cache.get("b", FULL).width() == 1200 and cache.get("b", 512).width() == 512
