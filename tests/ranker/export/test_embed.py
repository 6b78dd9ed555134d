"""Tests ranker/export/embed.py: a JPEG copy carries XMP inside; everything outside its XMP segment stays the same."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from ranker.decisions import Decision
from ranker.export.embed import MAX_PACKET, EmbedError, same_image, with_xmp, without_xmp
from ranker.xmp import embedded_decision, merged_packet, read_embedded_xmp


@pytest.fixture
def jpeg(tmp_path):
    path = tmp_path / "a.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path, exif=exif)
    return path


def test_embed_new_then_replace(jpeg, tmp_path):
    original = jpeg.read_bytes()
    out = tmp_path / "b.jpg"
    out.write_bytes(with_xmp(original, merged_packet(None, Decision("pick", 3, "red"))))
    assert embedded_decision(out) == Decision("pick", 3, "red")
    assert same_image(original, out.read_bytes()) and without_xmp(out.read_bytes()) == original
    again = with_xmp(out.read_bytes(), merged_packet(read_embedded_xmp(out), Decision("reject")))
    out.write_bytes(again)
    assert embedded_decision(out) == Decision("reject")
    assert again.count(b"http://ns.adobe.com/xap/1.0/\x00") == 1  # replaced, not added
    with Image.open(out) as img:
        assert img.getexif()[0x010F] == "Canon"  # EXIF is still there and readable
        img.load()


def test_refusals(jpeg):
    with pytest.raises(EmbedError, match="more than one JPEG segment"):
        with_xmp(jpeg.read_bytes(), b"x" * (MAX_PACKET + 1))
    with pytest.raises(EmbedError, match="not a JPEG"):
        with_xmp(b"GIF89a rest", b"<x/>")
    with pytest.raises(EmbedError, match="damaged TIFF"):
        with_xmp(b"II*\x00rest", b"<x/>")
    assert not same_image(jpeg.read_bytes(), jpeg.read_bytes()[:-10])


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not on PATH (CI installs it)")
def test_exiftool_validates_the_embedded_copy(jpeg, tmp_path):
    out = tmp_path / "b.jpg"
    out.write_bytes(with_xmp(jpeg.read_bytes(), merged_packet(None, Decision("pick"))))

    def check(path):
        return json.loads(
            subprocess.run(
                ["exiftool", "-j", "-n", "-validate", "-warning", "-a", "-XMP:Rating", "-XMP:Label", str(path)],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        )[0]

    info, before = check(out), check(jpeg)
    assert info["Rating"] == 1 and info["Label"] == "Green"
    assert info["Validate"] == before["Validate"]  # no new problem: only the original's own EXIF warnings


@pytest.mark.parametrize("with_packet", [False, True])
def test_tiff_and_dng_copies_carry_xmp(tmp_path, with_packet):
    import tifffile

    original = tmp_path / "a.tif"
    pixels = np.random.default_rng(1).integers(0, 65535, (12, 16, 3), dtype=np.uint16)
    extra = [(700, 1, None, merged_packet(None, Decision(None, 2, None)), False)] if with_packet else []
    tifffile.imwrite(original, pixels, photometric="rgb", extratags=extra)
    data = original.read_bytes()
    out = tmp_path / "b.tif"
    out.write_bytes(with_xmp(data, merged_packet(read_embedded_xmp(original), Decision("pick", 4, "blue"))))
    assert embedded_decision(out) == Decision("pick", 4, "blue")
    assert same_image(data, out.read_bytes()) and not same_image(data, data[:-2] + b"xx")
    assert np.array_equal(tifffile.imread(out), pixels)
    if shutil.which("exiftool"):
        info = json.loads(
            subprocess.run(
                ["exiftool", "-j", "-n", "-XMP:Rating", "-XMP:Label", str(out)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        )[0]
        assert (info["Rating"], info["Label"]) == (4, "Blue")
