"""ImageView painting: every pixel painted by the view itself (it is opaque to Qt), previews drawn as blits."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage

from phototriage_gui.image_cache import FULL, THUMB, ImageCache
from phototriage_gui.views.image_view import ImageView, ZoomState
from phototriage_gui.workers import SyncPool
from tests.synthetic_files import textured_image, write_jpeg

MAGENTA = QColor(255, 0, 255)
BACKGROUND = QColor("#1b1b1d")


def _view(qtbot, tmp_path, size=(1200, 800), box=(500, 420)):
    path = write_jpeg(tmp_path / "p.jpg", textured_image(size))
    cache = ImageCache(SyncPool(), preview_size=1024)
    cache.set_paths({"p": path})
    view = ImageView(cache, ZoomState())
    qtbot.addWidget(view)
    view.resize(*box)
    cache.set_fit_box(box)
    view.set_photo("p")
    qtbot.waitUntil(cache.idle)
    return view, cache


def _rendered(view) -> QImage:
    """The view rendered over magenta: an opaque widget paints no background for Qt, so any magenta
    left is a pixel the view forgot to paint (on screen: the previous photo showing through)."""
    target = QImage(view.size(), QImage.Format.Format_RGB32)
    target.fill(MAGENTA)
    view.render(target)
    return target


def test_every_pixel_is_painted_around_and_under_the_photo(qtbot, tmp_path):
    view, _ = _view(qtbot, tmp_path)
    shot = _rendered(view)
    rect = view.image_rect()
    assert (round(rect.width()), round(rect.height())) == (500, 333)  # a wide photo in a taller box
    pixels = [shot.pixelColor(x, y) for x in range(0, 500, 7) for y in range(0, 420, 7)]
    assert MAGENTA not in pixels
    assert shot.pixelColor(250, 10) == BACKGROUND and shot.pixelColor(250, 415) == BACKGROUND  # bands
    assert shot.pixelColor(250, 210) != BACKGROUND  # the photo


def test_every_pixel_is_painted_while_loading_and_zoomed(qtbot, tmp_path):
    view, cache = _view(qtbot, tmp_path)
    view.set_photo("missing")  # no file: the loading text on the background
    assert MAGENTA not in [_rendered(view).pixelColor(x, y) for x in range(0, 500, 25) for y in range(0, 420, 25)]
    view.set_photo("p")
    view.toggle_100()
    qtbot.waitUntil(cache.idle)
    assert cache.get("p", FULL) is not None and view.zoom_text() == "100%"
    shot = _rendered(view)
    assert MAGENTA not in [shot.pixelColor(x, y) for x in range(0, 500, 25) for y in range(0, 420, 25)]


def test_fit_draws_the_preview_made_for_the_view_even_with_full_pixels_in_memory(qtbot, tmp_path):
    view, cache = _view(qtbot, tmp_path)
    cache.request("p", FULL)
    qtbot.waitUntil(cache.idle)
    assert cache.get("p", FULL) is not None and view.zoom.fit
    shown, rect = view.image(), view.image_rect()
    assert shown is cache.get("p", cache.preview_size)
    assert (shown.width(), shown.height()) == (round(rect.width()), round(rect.height()))  # a blit
    view.toggle_100()
    assert view.image() is cache.get("p", FULL)


def test_a_thumbnail_standing_in_at_fit_is_labelled_loading_until_the_preview_lands(qtbot, tmp_path):
    path = write_jpeg(tmp_path / "p.jpg", textured_image((1200, 800)))
    cache = ImageCache(SyncPool(), preview_size=1024)
    cache.set_paths({"p": path})
    cache.request("p", THUMB)
    qtbot.waitUntil(cache.idle)
    view = ImageView(cache, ZoomState())
    qtbot.addWidget(view)
    view.resize(500, 420)
    view.set_photo("p")  # the preview is queued; the pool runs it from the event loop
    assert view.image() is cache.get("p", THUMB) and view.zoom_text() == "loading"
    qtbot.waitUntil(cache.idle)
    assert view.image() is cache.get("p", 1024) and view.zoom_text() == "fit"
