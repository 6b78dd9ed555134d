"""Tests ranker/xmp/embedded.py: XMP read from inside a JPEG, a TIFF or an unknown format."""

from __future__ import annotations

import os

from PIL import Image

from ranker.xmp import Decision, read_decision
from tests.ranker.xmp.helpers import PACKET, exiftool_json, jpeg_with_xmp, make_xmp, needs_exiftool


def test_read_embedded_jpeg_app1(tmp_path):
    photo = tmp_path / "P1000001.JPG"
    jpeg_with_xmp(photo, PACKET)
    with Image.open(photo) as im:  # still a valid JPEG
        im.load()
    assert read_decision(photo) == Decision(None, 4, "yellow")
    # A sidecar wins over the embedded packet.
    (tmp_path / "P1000001.xmp").write_bytes(make_xmp('xmp:Rating="1"'))
    assert read_decision(photo) == Decision(None, 1, None)


@needs_exiftool
def test_embedded_jpeg_is_what_exiftool_reads(tmp_path):
    photo = tmp_path / "a.jpg"
    jpeg_with_xmp(photo, PACKET)
    info = exiftool_json(photo, "-XMP:Rating", "-XMP:Label")
    assert (info["XMP-xmp:Rating"], info["XMP-xmp:Label"]) == (4, "Yellow")


def test_read_embedded_tiff_and_unknown_format(tmp_path):
    tif = tmp_path / "scan.tif"
    Image.new("RGB", (8, 8)).save(tif, tiffinfo={700: PACKET})
    assert read_decision(tif) == Decision(None, 4, "yellow")
    raw = tmp_path / "IMG_1.CR3"  # ISO-BMFF here: found by scanning the first megabytes
    raw.write_bytes(os.urandom(5000) + PACKET + os.urandom(5000))
    assert read_decision(raw) == Decision(None, 4, "yellow")
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (8, 8)).save(plain)
    assert read_decision(plain) is None


def test_a_file_is_read_again_once_it_changes_and_not_before(tmp_path, monkeypatch):
    from ranker.xmp import embedded

    photo = tmp_path / "P1.JPG"
    jpeg_with_xmp(photo, PACKET)
    opened = []
    real = embedded._embedded_xmp
    monkeypatch.setattr(embedded, "_embedded_xmp", lambda path: opened.append(path) or real(path))
    first = embedded.read_embedded_xmp(photo)
    assert embedded.read_embedded_xmp(photo) == first and len(opened) == 1  # the scan's second read is free
    jpeg_with_xmp(photo, PACKET.replace(b'xmp:Rating="4"', b'xmp:Rating="2"'))  # another tool edits it
    stat = photo.stat()
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # even within the same tick
    assert read_decision(photo) == Decision(None, 2, "yellow") and len(opened) == 2
    assert embedded.exif_rating(photo) == embedded.exif_rating(photo) == 0


def test_a_jpeg_is_read_to_its_image_data_only_unless_its_structure_is_broken(tmp_path):
    """XMP in a JPEG lives in an APP1 segment before the image data: a packet further on (an embedded
    preview's, say) is not the photo's, and a photo without one is not searched whole. A file whose
    segments cannot be walked is still searched."""
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (16, 16)).save(plain)
    trailing = tmp_path / "trailing.jpg"
    trailing.write_bytes(plain.read_bytes() + PACKET)  # after the end of the image
    assert read_decision(trailing) is None
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1\x00" + PACKET)  # a segment cut short: no structure to trust
    assert read_decision(broken) == Decision(None, 4, "yellow")


def test_the_exif_rating_comes_from_the_exif_segment_even_in_a_broken_jpeg(tmp_path):
    from ranker.xmp import embedded

    exif = Image.Exif()
    exif[0x4746] = 3  # EXIF Rating, as cameras and Windows write it
    rated = tmp_path / "rated.jpg"
    Image.new("RGB", (16, 16)).save(rated, exif=exif)
    assert embedded.exif_rating(rated) == 3
    unrated = tmp_path / "unrated.jpg"
    Image.new("RGB", (16, 16)).save(unrated)
    assert embedded.exif_rating(unrated) == 0
    # the same EXIF segment behind a stray byte the segment walk cannot get past: found by searching
    data = rated.read_bytes()
    start = data.index(b"\xff\xe1")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\x00\x01" + data[start:])
    assert embedded.exif_rating(broken) == 3
