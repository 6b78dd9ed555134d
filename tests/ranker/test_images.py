"""Tests for ranker/images.py: formats, orientation, reduced decoding, metadata and bad inputs."""

from __future__ import annotations

import errno
import json
import os
import pickle
import struct
import warnings
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rawpy
from PIL import Image, ImageFile, JpegImagePlugin, TiffImagePlugin

from ranker import images, raw_decode
from ranker.images import load_image, load_photo, read_metadata
from ranker.load_errors import ImageLoadError, printable_path
from ranker.photo_metadata import PhotoMetadata
from tests.synthetic_files import (
    corner_colours,
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

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "photos"
CR2 = SHARED / "raw" / "IMG_5952.CR2"
needs_cr2 = pytest.mark.skipif(not CR2.is_file(), reason="shared/photos/raw/IMG_5952.CR2 not present")
UPRIGHT = ("red", "blue")  # corner_colours of an upright textured_image


def grey(img: Image.Image, size=(64, 48)) -> np.ndarray:
    return np.asarray(img.convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


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


@pytest.fixture
def draft_calls(monkeypatch):
    calls = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real(self, mode, size)
        calls.append((mode, size, self.size))  # self.size is now the DCT-scaled decode size
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return calls


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


# --- metadata ------------------------------------------------------------------------------


def test_metadata_fields_subseconds_and_offset(tmp_path):
    path = write_jpeg(
        tmp_path / "m.jpg",
        size=(80, 60),
        capture_time=datetime(2024, 5, 6, 7, 8, 9),
        subsec="045",
        offset="-05:30",
        exposure_bias=-0.7,
        make="Canon\x00\x00  ",
        model="  Canon EOS R5 ",
        exif={
            "ExposureTime": TiffImagePlugin.IFDRational(1, 250),
            "FNumber": 2.8,
            "ISOSpeedRatings": 800,
            "LensModel": "RF24-70mm F2.8 L IS USM",
        },
    )
    meta = read_metadata(path)
    tz = timezone(-timedelta(hours=5, minutes=30))
    assert meta.capture_time == datetime(2024, 5, 6, 7, 8, 9, 45000, tzinfo=tz)
    assert (meta.make, meta.model, meta.lens) == ("Canon", "Canon EOS R5", "RF24-70mm F2.8 L IS USM")
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert meta.aperture == pytest.approx(2.8) and meta.iso == 800
    assert meta.exposure_bias == pytest.approx(-0.7)
    d = meta.as_dict()
    assert d["capture_time"] == "2024-05-06T07:08:09.045000-05:30"
    assert json.loads(json.dumps(d)) == d


def test_capture_time_is_naive_without_offset(tmp_path):
    path = write_jpeg(tmp_path / "n.jpg", size=(40, 30), capture_time="2023:12:31 23:59:58", subsec=7)
    assert read_metadata(path).capture_time == datetime(2023, 12, 31, 23, 59, 58, 700000)


def test_garbage_values_become_none(tmp_path):
    path = write_jpeg(
        tmp_path / "junk.jpg",
        size=(40, 30),
        capture_time="0000:00:00 00:00:00",
        offset="soon",
        exif={
            "ExposureTime": TiffImagePlugin.IFDRational(1, 0),
            "FNumber": TiffImagePlugin.IFDRational(0, 0),
            "ISOSpeedRatings": 0,
            "ExposureBiasValue": TiffImagePlugin.IFDRational(-(2**31) + 1, 1),
            "Make": "\x00\x00\x00",
            "LensModel": "   ",
        },
    )
    meta = read_metadata(path)
    assert meta == PhotoMetadata(orientation=1, width=40, height=30)


def test_digitized_time_is_the_fallback(tmp_path):
    path = write_jpeg(tmp_path / "d.jpg", size=(40, 30), exif={"DateTimeDigitized": "2020:02:02 02:02:02"})
    assert read_metadata(path).capture_time == datetime(2020, 2, 2, 2, 2, 2)


def test_no_exif_at_all(tmp_path):
    path = tmp_path / "plain.png"
    textured_image((40, 30)).save(path)
    assert read_metadata(path) == PhotoMetadata(width=40, height=30)


def test_real_camera_exif_bundled():
    canon = read_metadata(DATA / "Canon_40D.jpg")
    assert canon.capture_time == datetime(2008, 5, 30, 15, 56, 1)
    assert (canon.make, canon.model, canon.iso) == ("Canon", "Canon EOS 40D", 100)
    assert canon.exposure_time == pytest.approx(1 / 160) and canon.aperture == pytest.approx(7.1)
    nikon = read_metadata(DATA / "Nikon_D70.jpg")
    assert (nikon.make, nikon.model, nikon.exposure_bias) == ("NIKON CORPORATION", "NIKON D70", -1.0)


@pytest.mark.skipif(not (SHARED / "exif_samples").is_dir(), reason="shared photos absent")
def test_shared_samples_with_odd_exif_still_load():
    # corrupted.jpg has damaged maker EXIF but intact pixels; the iPhone one has SubSecTime.
    img, meta = load_photo(SHARED / "exif_samples" / "corrupted.jpg", max_size=256)
    assert img.size == (256, 192) and meta.make == "OLYMPUS IMAGING CORP."
    iphone = read_metadata(SHARED / "exif_samples" / "hdr" / "iphone_hdr_YES.jpg")
    assert iphone.capture_time == datetime(2015, 4, 10, 20, 12, 23, 550000)
    assert iphone.lens == "iPhone 6 back camera 4.15mm f/2.2"


# --- camera RAW ----------------------------------------------------------------------------

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


@pytest.mark.parametrize("kind", ["float32 grey", "float64 rgb", "cmyk", "planar rgb", "five channels"])
def test_tiff_variants_beyond_pillow_decode_at_their_own_scale(tmp_path, kind):
    import tifffile

    grey = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64)
    data, options, mean = {
        "float32 grey": (grey, {}, 127.5),
        "float64 rgb": (np.full((48, 64, 3), 0.5), {"photometric": "rgb"}, 128),
        "cmyk": (np.full((48, 64, 4), 60, np.uint8), {"photometric": "separated"}, 149),
        "planar rgb": (np.full((3, 48, 64), 200, np.uint8), {"planarconfig": "separate", "photometric": "rgb"}, 200),
        "five channels": (
            np.full((48, 64, 5), 100, np.uint8),
            {"photometric": "rgb", "planarconfig": "contig", "extrasamples": (0, 0)},
            100,
        ),
    }[kind]
    path = tmp_path / "variant.tif"
    tifffile.imwrite(path, data, **options)
    image, meta = load_photo(path)
    assert image.mode == "RGB" and image.size == (64, 48) and (meta.width, meta.height) == (64, 48)
    assert np.asarray(image).mean() == pytest.approx(mean, abs=1.5)


def _ramp(bits_or_kind, channels: int = 1) -> np.ndarray:
    """A left-to-right ramp from black to full scale, 48x64, in the given integer depth or float type."""
    unit = np.linspace(0.0, 1.0, 64)[None, :].repeat(48, 0)
    if isinstance(bits_or_kind, int):
        dtype = np.uint8 if bits_or_kind <= 8 else np.uint16 if bits_or_kind <= 16 else np.uint32
        values = (unit * ((1 << bits_or_kind) - 1)).round().astype(dtype)
    elif bits_or_kind == "int32":
        values = (unit * (2**31 - 1)).round().astype(np.int32)
    else:
        values = unit.astype(bits_or_kind)
    return values if channels == 1 else np.stack([values] * channels, -1)


#: TIFF layouts seen in the wild (scanners, machine-vision and astro cameras, Photoshop, GIS tools):
#: {name: (pixels, tifffile.imwrite options)}. Packed depths need imagecodecs to write and to read.
TIFF_RAMPS = {
    "10-bit packed grey": (_ramp(10), {"bitspersample": 10}),
    "12-bit packed grey": (_ramp(12), {"bitspersample": 12}),
    "12-bit packed grey, tiled": (_ramp(12), {"bitspersample": 12, "tile": (16, 16)}),
    "12-bit packed rgb": (_ramp(12, 3), {"bitspersample": 12, "photometric": "rgb"}),
    "14-bit packed grey": (_ramp(14), {"bitspersample": 14}),
    "4-bit packed grey": (_ramp(4), {"bitspersample": 4}),
    "16-bit grey": (_ramp(16), {}),
    "16-bit rgb": (_ramp(16, 3), {"photometric": "rgb"}),
    "16-bit planar rgb": (np.moveaxis(_ramp(16, 3), -1, 0), {"photometric": "rgb", "planarconfig": "separate"}),
    "16-bit planar rgb, lzw": (
        np.moveaxis(_ramp(16, 3), -1, 0),
        {"photometric": "rgb", "planarconfig": "separate", "compression": "lzw", "predictor": True},
    ),
    "16-bit five channels": (_ramp(16, 5), {"photometric": "rgb", "extrasamples": (0, 0)}),
    "16-bit cmyk": ((65535 - _ramp(16, 4)) * np.array([0, 0, 0, 1], np.uint16), {"photometric": "separated"}),
    "32-bit unsigned grey": (_ramp(32), {}),
    "32-bit signed grey": (_ramp("int32"), {}),
    "16-bit float grey": (_ramp(np.float16), {}),
    "32-bit float grey": (_ramp(np.float32), {}),
    "32-bit float rgb, lzw + predictor": (
        _ramp(np.float32, 3),
        {"photometric": "rgb", "compression": "lzw", "predictor": True},
    ),
    "32-bit float planar rgb": (
        np.moveaxis(_ramp(np.float32, 3), -1, 0),
        {"photometric": "rgb", "planarconfig": "separate"},
    ),
    "64-bit float rgb": (_ramp(np.float64, 3), {"photometric": "rgb"}),
    "8-bit planar rgb": (np.moveaxis(_ramp(8, 3), -1, 0), {"photometric": "rgb", "planarconfig": "separate"}),
    "8-bit five channels": (_ramp(8, 5), {"photometric": "rgb", "extrasamples": (0, 0)}),
    "8-bit cmyk": ((255 - _ramp(8, 4)) * np.array([0, 0, 0, 1], np.uint8), {"photometric": "separated"}),
    "8-bit palette": (
        _ramp(8),
        {"photometric": "palette", "colormap": np.repeat((np.arange(256) * 257)[None], 3, 0).astype(np.uint16)},
    ),
}


def _big_endian_packed_tiff(path: Path, values: np.ndarray, bits: int) -> Path:
    """A big-endian grey TIFF of `bits`-bit samples packed MSB first, rows padded to a byte, as the
    TIFF spec lays them out (tifffile 2026.3 writes big-endian packed samples byte-swapped)."""
    height, width = values.shape
    shifts = np.arange(bits - 1, -1, -1, dtype=np.uint32)
    rows = []
    for row in values.astype(np.uint32):
        row_bits = ((row[:, None] >> shifts) & 1).astype(np.uint8).ravel()
        rows.append(np.packbits(row_bits).tobytes())  # packbits pads the row's last byte with zeros
    body = b"".join(rows)
    tags = [(256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, 1), (262, 3, 1), (273, 4, 0)]
    tags += [(277, 3, 1), (278, 4, height), (279, 4, len(body))]
    data_at = 8 + 2 + 12 * len(tags) + 4
    ifd = struct.pack(">H", len(tags))
    for tag, kind, value in tags:
        value = data_at if tag == 273 else value
        ifd += struct.pack(">HHI", tag, kind, 1) + (
            struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value)
        )
    path.write_bytes(b"MM\x00*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0) + body)
    return path


def test_a_big_endian_packed_12_bit_tiff_decodes_at_its_own_brightness(tmp_path):
    pytest.importorskip("imagecodecs")
    path = _big_endian_packed_tiff(tmp_path / "be12.tif", _ramp(12), 12)
    image, _ = load_photo(path)
    levels = np.asarray(image.convert("L"), dtype=np.float32).mean(axis=0)
    assert np.abs(levels - np.linspace(0.0, 255.0, 64)).max() <= 2.0, levels.round().tolist()


@pytest.mark.parametrize("kind", sorted(TIFF_RAMPS))
def test_tiff_variants_decode_at_their_own_brightness(tmp_path, kind):
    """Every column of the ramp comes back at its own level: a 12-bit file is not 16x (or ~7 EV) too
    dark, a planar one is not striped, 32-bit and signed integers do not wrap."""
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")  # a dependency: tifffile's packed-integer and LZW codecs
    pixels, options = TIFF_RAMPS[kind]
    path = tmp_path / "ramp.tif"
    tifffile.imwrite(path, pixels, **options)
    image, meta = load_photo(path)
    assert image.mode == "RGB" and image.size == (64, 48) and (meta.width, meta.height) == (64, 48)
    levels = np.asarray(image.convert("L"), dtype=np.float32).mean(axis=0)
    expected = np.linspace(0.0, 255.0, 64)
    step = 255.0 / 15 if kind.startswith("4-bit") else 0.0  # 16 grey levels round each column
    assert np.abs(levels - expected).max() <= 2.0 + step / 2, (kind, levels.round().tolist())


def test_a_12_bit_tiff_keeps_its_exif_capture_time(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")
    path = tmp_path / "scan.tif"
    exif = [(0x010F, "s", 0, "Nikon", True), (0x9003, "s", 20, "2024:05:06 07:08:09", True)]
    tifffile.imwrite(path, _ramp(12), bitspersample=12, extratags=exif)
    tifffile.imwrite(tmp_path / "plain.tif", _ramp(12), bitspersample=12)
    _, meta = load_photo(path)  # pixels through tifffile, EXIF through the bounded TIFF reader
    assert (meta.make, meta.capture_time) == ("Nikon", datetime(2024, 5, 6, 7, 8, 9))
    assert load_photo(tmp_path / "plain.tif")[1].capture_time is None


def test_a_packed_tiff_without_imagecodecs_names_what_is_missing(tmp_path, monkeypatch):
    tifffile = pytest.importorskip("tifffile")
    pytest.importorskip("imagecodecs")
    path = tmp_path / "scan12.tif"
    tifffile.imwrite(path, _ramp(12, 3), bitspersample=12, photometric="rgb")
    from tifffile import _imagecodecs as fallback  # what tifffile uses when imagecodecs is not installed

    monkeypatch.setattr(tifffile.tifffile, "imagecodecs", fallback)
    with pytest.raises(ImageLoadError, match=r"scan12\.tif.*12-bit.*imagecodecs"):
        load_photo(path)
