"""ImageCache: decodes off the UI thread into an LRU with a byte budget; unreadable files report why."""

from __future__ import annotations

from phototriage_gui.image_cache import THUMB, ImageCache
from phototriage_gui.workers import SyncPool


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
