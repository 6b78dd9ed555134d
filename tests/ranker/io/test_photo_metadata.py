"""Tests for ranker/io/photo_metadata.py: EXIF fields, capture times and garbage values, read from real files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import TiffImagePlugin

from ranker.io.images import load_photo, read_metadata
from ranker.io.photo_metadata import PhotoMetadata
from tests.synthetic_files import textured_image, write_jpeg

DATA = Path(__file__).resolve().parents[2] / "data"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "photos"


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
