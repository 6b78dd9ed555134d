"""Tests for ranker/io/images.py: formats, orientation, reduced decoding, bad inputs (metadata, RAW and the
TIFFs beyond Pillow: test_photo_metadata, test_raw_decode, test_tiff_decode)."""

from __future__ import annotations

import errno
import os
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from ranker.io import images
from ranker.io.images import load_image, load_photo, read_metadata
from ranker.io.load_errors import ImageLoadError, printable_path
from tests.synthetic_files import (
    UPRIGHT,
    corner_colours,
    grey,
    make_bitflipped,
    make_bomb_png,
    make_empty,
    make_fifo,
    make_symlink_loop,
    make_text_file,
    make_truncated,
    non_utf8_path,
    stored_for_orientation,
    textured_image,
    write_dng,
    write_image,
    write_jpeg,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "photos"


# --- extensions ----------------------------------------------------------------------------


def test_supported_and_raw_extensions():
    assert images.SUPPORTED_EXTENSIONS == {
        ".jpg",
        ".jpeg",
        ".png",
        ".tif",
        ".tiff",
        ".webp",
        ".heic",
        ".heif",
        ".cr2",
        ".cr3",
        ".nef",
        ".arw",
        ".dng",
        ".raf",
        ".orf",
        ".rw2",
    }
    assert images.RAW_EXTENSIONS <= images.SUPPORTED_EXTENSIONS
    assert images.is_supported("a/IMG_1.JPG") and images.is_supported(b"x.heic")
    assert images.is_raw(Path("IMG_1.CR2")) and not images.is_raw("IMG_1.jpg")
    assert not images.is_supported("notes.txt") and not images.is_supported("README")


# --- every format --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp", ".heic"])
def test_every_pillow_format_loads_upright_with_metadata(tmp_path, suffix):
    path = write_image(tmp_path / f"photo{suffix}", size=(320, 240))
    img, meta = load_photo(path)
    assert img.mode == "RGB" and img.size == (320, 240)
    assert corner_colours(img) == UPRIGHT
    assert (meta.width, meta.height, meta.orientation) == (320, 240, 1)
    small = load_image(path, max_size=100)
    assert small.size == (100, 75) and corner_colours(small) == UPRIGHT


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp", ".heic"])
def test_orientation_is_applied_for_other_formats(tmp_path, suffix):
    upright = textured_image((320, 240))
    path = write_image(tmp_path / f"rot{suffix}", stored_for_orientation(upright, 6), orientation=6)
    img, meta = load_photo(path)
    assert img.size == (320, 240) and corner_colours(img) == UPRIGHT
    # HEIF stores the rotation as a transform that the decoder applies; the file still says 6.
    assert (meta.orientation, meta.width, meta.height) == (6, 320, 240)
    assert read_metadata(path) == meta  # also right without decoding (TIFF reports rotated sizes)


def test_misnamed_png_with_jpg_extension_still_loads(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    textured_image((64, 48)).save(path, "PNG")
    assert load_image(path).size == (64, 48)


def test_sixteen_bit_and_transparent_images_become_sensible_rgb(tmp_path):
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((8, 8), 32768, np.uint16)).save(deep)
    assert load_image(deep).getpixel((0, 0)) == (127, 127, 127)  # scaled, not clipped to white
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(clear)
    assert load_image(clear).getpixel((0, 0)) == (255, 255, 255)


# --- orientation ---------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_exif_orientations_jpeg(tmp_path, orientation):
    upright = textured_image((400, 300))
    stored = stored_for_orientation(upright, orientation)
    path = write_jpeg(tmp_path / "o.jpg", stored, orientation=orientation)
    img, meta = load_photo(path)
    assert img.size == (400, 300) and corner_colours(img) == UPRIGHT
    assert (meta.orientation, meta.width, meta.height) == (orientation, 400, 300)
    small = load_image(path, max_size=200)
    assert small.size == (200, 150) and corner_colours(small) == UPRIGHT
    assert "exif" not in small.info  # a stale orientation tag would rotate it twice if re-saved


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_garbage_orientation_means_upright(tmp_path, value):
    path = write_jpeg(tmp_path / "g.jpg", size=(40, 30), exif={"Orientation": value})
    assert read_metadata(path).orientation == 1


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
@pytest.mark.skipif(not (SHARED / "exif_samples" / "orientation").is_dir(), reason="shared photos absent")
def test_shared_orientation_samples_all_look_like_orientation_1(kind):
    folder = SHARED / "exif_samples" / "orientation"
    reference = load_image(folder / f"{kind}_1.jpg")
    for n in range(2, 9):
        img, meta = load_photo(folder / f"{kind}_{n}.jpg")
        assert meta.orientation == n and img.size == reference.size
        # The samples differ in exposure, so compare structure, not brightness.
        assert np.corrcoef(grey(img).ravel(), grey(reference).ravel())[0, 1] > 0.95, f"{kind}_{n}"


def test_bundled_orientation_sample_is_turned_upright():
    img, meta = load_photo(DATA / "landscape_6.jpg", max_size=300)
    assert meta.orientation == 6 and (meta.width, meta.height) == (600, 450)
    assert img.size == (300, 225)


# --- reduced-size decoding -----------------------------------------------------------------


def test_jpeg_max_size_uses_draft_mode(tmp_path, draft_calls):
    path = write_jpeg(tmp_path / "big.jpg", size=(1600, 1200))
    img = load_image(path, max_size=400)
    assert img.size == (400, 300)
    assert draft_calls == [("RGB", (400, 300), (400, 300))]  # decoded at 1/4 scale, no resize left


def test_jpeg_draft_then_exact_resize_keeps_aspect(tmp_path, draft_calls):
    path = write_jpeg(tmp_path / "burst.jpg", size=(1296, 864))
    img = load_image(path, max_size=512)
    assert img.size == (512, 341)
    assert draft_calls[0][2] == (648, 432)  # 1/2 scale still covers 512x341, then Lanczos


def test_no_draft_and_no_upscale_when_image_is_small_enough(tmp_path, draft_calls):
    path = write_jpeg(tmp_path / "small.jpg", size=(300, 200))
    assert load_image(path, max_size=1000).size == (300, 200)
    assert load_image(path).size == (300, 200)
    assert draft_calls == []


def test_invalid_max_size_is_a_programming_error(tmp_path):
    path = write_jpeg(tmp_path / "x.jpg", size=(40, 30))
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError):
            load_image(path, max_size=bad)


# --- bad inputs ----------------------------------------------------------------------------


def assert_load_error(path, reason_part, *, also_metadata=True):
    for call in (load_photo, load_image) + ((read_metadata,) if also_metadata else ()):
        with pytest.raises(ImageLoadError) as info:
            call(path)
        err = info.value
        assert err.path == Path(os.fsdecode(path)) and err.reason
        assert reason_part in err.reason, err.reason
        assert str(err) == f"{printable_path(err.path)}: {err.reason}"
        str(err).encode("utf-8")  # always printable
    return err


def test_empty_file(tmp_path):
    err = assert_load_error(make_empty(tmp_path / "e.jpg"), "empty file")
    assert str(err) == f"{tmp_path / 'e.jpg'}: empty file"


@pytest.mark.parametrize("name", ["t.jpg", "t.png"])
@pytest.mark.parametrize("max_size", [None, 64])
def test_truncated_images_are_errors(tmp_path, name, max_size):
    path = make_truncated(tmp_path / name)
    with pytest.raises(ImageLoadError, match="truncated"):
        load_image(path, max_size=max_size)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("name", ["b.jpg", "b.png"])
@pytest.mark.parametrize("max_size", [None, 64])
def test_bitflipped_images_are_errors(tmp_path, name, max_size):
    path = make_bitflipped(tmp_path / name)
    with pytest.raises(ImageLoadError, match="corrupt"):
        load_image(path, max_size=max_size)


def test_text_file_named_jpg(tmp_path):
    assert_load_error(make_text_file(tmp_path / "notes.jpg"), "not a recognised image")


def test_decompression_bomb(tmp_path):
    path = make_bomb_png(tmp_path / "bomb.png")
    assert path.stat().st_size < 2000
    assert_load_error(path, "too large")


def test_bomb_warning_is_an_error_even_when_warnings_are_ignored(tmp_path):
    path = make_bomb_png(tmp_path / "big.png", width=15_000, height=15_000)  # warning range: 225 MP
    before = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inner = list(warnings.filters)
        with pytest.raises(ImageLoadError, match="too large"):
            load_image(path)
        assert warnings.filters == inner
    assert warnings.filters == before


def test_symlink_loop(tmp_path):
    assert_load_error(make_symlink_loop(tmp_path / "loop.jpg"), "symlink loop")


def test_directory(tmp_path):
    (tmp_path / "folder.jpg").mkdir()
    assert_load_error(tmp_path / "folder.jpg", "is a directory")


def test_missing_file(tmp_path):
    assert_load_error(tmp_path / "gone.jpg", "file not found")


def test_nul_in_file_name(tmp_path):
    assert_load_error(str(tmp_path / "a\x00b.jpg"), "invalid file name")


@pytest.mark.timeout(10)
def test_fifo_does_not_hang(tmp_path):
    assert_load_error(make_fifo(tmp_path / "pipe.jpg"), "not a regular file")


@pytest.mark.parametrize("name", ["anim.gif", "notes.txt", "README"])
def test_unsupported_extension(tmp_path, name):
    path = tmp_path / name
    Image.new("RGB", (8, 8)).save(path, "GIF")
    assert_load_error(path, "unsupported file type")


def test_permission_denied_mapping(tmp_path, monkeypatch):
    path = write_jpeg(tmp_path / "locked.jpg", size=(40, 30))
    real_open = os.open

    def refuse(p, *args, **kwargs):
        if Path(p) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_open(p, *args, **kwargs)

    monkeypatch.setattr(images.os, "open", refuse)
    assert_load_error(path, "permission denied")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_for_real(tmp_path):
    path = write_jpeg(tmp_path / "locked.jpg", size=(40, 30))
    path.chmod(0)
    try:
        assert_load_error(path, "permission denied")
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("name", ["garbage.nef", "jpeg_inside.cr2"])
def test_raw_that_libraw_cannot_open(tmp_path, name):
    path = tmp_path / name
    if name.startswith("jpeg"):
        write_jpeg(path, size=(64, 48))
    else:
        path.write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    assert_load_error(path, "not a RAW file")


def test_truncated_dng(tmp_path):
    path = write_dng(tmp_path / "t.dng")
    path.write_bytes(path.read_bytes()[:300])  # header cut before the raw data
    assert_load_error(path, "RAW")


def test_non_utf8_file_name(tmp_path):
    try:
        path = non_utf8_path(tmp_path)
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    write_jpeg(path, size=(64, 48))
    assert load_image(path).size == (64, 48)
    assert load_image(os.fsencode(path)).size == (64, 48)  # bytes paths too
    path.write_bytes(b"")
    err = assert_load_error(path, "empty file")
    assert "bad\\xff.jpg: empty file" in str(err)


def test_error_pickles_for_process_pools(tmp_path):
    err = ImageLoadError(tmp_path / "x.jpg", "empty file")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


# --- side effects --------------------------------------------------------------------------


def test_files_are_never_modified(tmp_path):
    paths = [
        write_jpeg(tmp_path / "a.jpg", stored_for_orientation(textured_image((200, 150)), 6), orientation=6),
        write_image(tmp_path / "b.png", size=(200, 150)),
        write_dng(tmp_path / "c.dng", orientation=8),
    ]
    for path in paths:
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
        before = path.read_bytes()
        load_photo(path)
        load_photo(path, max_size=64)
        read_metadata(path)
        assert path.read_bytes() == before
        assert path.stat().st_mtime_ns == 1_000_000_000


def test_parallel_loads_agree_and_leave_warning_filters_alone(tmp_path):
    path = write_jpeg(tmp_path / "p.jpg", size=(300, 200), capture_time="2024:01:01 00:00:00")
    bomb = make_bomb_png(tmp_path / "bomb.png", width=15_000, height=15_000)  # over MAX_PIXELS
    before = list(warnings.filters)

    def work(i):
        if i % 3 == 0:
            with pytest.raises(ImageLoadError):
                load_image(bomb)
            return None
        img, meta = load_photo(path, max_size=100)
        return img.size, meta.capture_time

    with ThreadPoolExecutor(4) as pool:
        results = [r for r in pool.map(work, range(24)) if r is not None]
    assert set(results) == {((100, 67), datetime(2024, 1, 1))}
    assert warnings.filters == before


def test_a_100_megapixel_camera_jpeg_is_decoded_not_called_a_bomb(tmp_path):
    path = tmp_path / "gfx100.jpg"
    Image.new("RGB", (11648, 8736), (90, 120, 150)).save(path, quality=70)  # Fujifilm GFX100
    image, meta = load_photo(path, max_size=256)
    assert (meta.width, meta.height) == (11648, 8736) and max(image.size) == 256
