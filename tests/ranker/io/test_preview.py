"""ranker.io.preview: nearest-scale JPEG previews, one rendering of a RAW at every size, damaged JPEGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ranker.io import preview
from tests.synthetic_files import corner_colours, make_truncated, textured_image, write_dng, write_jpeg

# ../shared beside the checkout (or beside the worktrees' folder)
SHARED = next(
    (p / "shared" / "photos" for p in Path(__file__).resolve().parents[4:6] if (p / "shared").is_dir()),
    Path("shared/photos"),
)
CORRUPTED = SHARED / "exif_samples" / "corrupted.jpg"


def test_jpeg_preview_is_drafted_near_the_size_and_never_larger(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", textured_image((2400, 1600)))
    for size in (1600, 700, 300):
        shown = preview.render(path, size)
        assert preview.DRAFT_SLACK * size <= max(shown.image.size) <= size
        assert shown.full_size == (2400, 1600) and shown.damaged is None
    full = preview.render(path)
    assert full.image.size == (2400, 1600)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_jpeg_preview_is_upright(tmp_path, orientation):
    from tests.synthetic_files import stored_for_orientation

    upright = textured_image((640, 480))
    path = write_jpeg(tmp_path / "o.jpg", stored_for_orientation(upright, orientation), orientation=orientation)
    shown = preview.render(path, 320)
    assert shown.image.width > shown.image.height and shown.full_size == (640, 480)
    assert corner_colours(shown.image) == corner_colours(upright)


def test_a_jpeg_with_missing_data_is_shown_and_flagged_damaged(tmp_path):
    path = make_truncated(tmp_path / "cut.jpg", keep=0.6)
    shown = preview.render(path, 400)
    assert shown.damaged and "JPEG" in shown.damaged
    assert max(shown.image.size) <= 400


@pytest.mark.skipif(not CORRUPTED.is_file(), reason="shared/photos/exif_samples/corrupted.jpg not present")
def test_the_shared_corrupted_sample_is_flagged():
    assert preview.render(CORRUPTED, 800).damaged


def test_raw_without_a_full_size_preview_is_one_libraw_render_at_every_size(tmp_path, monkeypatch):
    path = write_dng(tmp_path / "r.dng", size=(256, 192), preview_size=(128, 96))  # too small for 100%
    renders = []
    original = preview._libraw_full

    def counting(*args):
        renders.append(args[0])
        return original(*args)

    monkeypatch.setattr(preview, "_libraw_full", counting)
    preview._renders.clear()
    small, full = preview.render(path, 100), preview.render(path)
    assert full.image.size == full.full_size == small.full_size == (256, 192)
    # the preview is the full render made smaller: the same colours, not the embedded bitmap's
    reduced = np.asarray(full.image.resize(small.image.size), dtype=np.float32)
    assert np.abs(reduced - np.asarray(small.image, dtype=np.float32)).mean() < 6
    assert len(preview._renders) == 1  # rendered once, kept for the next size


def test_raw_with_a_full_size_preview_uses_it_at_every_size(tmp_path):
    path = write_dng(tmp_path / "p.dng", size=(256, 192), preview_size=(256, 192))
    preview._renders.clear()
    assert preview.render(path).full_size == (256, 192)
    assert preview._renders == {} or not any(str(path) in key[0] for key in preview._renders)


def test_raw_thumbnails_take_any_embedded_preview(tmp_path):
    path = write_dng(tmp_path / "t.dng", size=(256, 192), preview_size=(128, 96))
    preview._renders.clear()
    assert max(preview.render(path, 64, thumbnail=True).image.size) == 64
    assert not preview._renders
