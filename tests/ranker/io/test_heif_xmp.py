"""Tests ranker/io/heif_xmp.py: an exported HEIF copy carries XMP as a 'mime' item, never re-encoded."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import numpy as np
import pytest
from PIL import Image

from ranker.culling.pipeline import run
from ranker.decisions import Decision
from ranker.export import ExportItem, plan_export, run_export
from ranker.io import heif_xmp
from ranker.xmp import embedded_decision, merged_packet, read_embedded_xmp

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

OLD_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmp:Rating="2" photoshop:City="Lyon"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _heic(path, xmp: bytes | None = None, seed: int = 0):
    pixels = np.random.default_rng(seed).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    Image.fromarray(pixels).save(path, quality=70, exif=exif.tobytes(), **({"xmp": xmp} if xmp else {}))
    return path


def _pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _readers(path) -> dict[str, object]:
    """What exiftool and exiv2 (where installed) read from the copy."""
    out: dict[str, object] = {}
    if shutil.which("exiftool"):
        got = json.loads(
            subprocess.run(
                ["exiftool", "-j", "-n", "-XMP:Rating", "-XMP:Label", "-XMP:City", "-EXIF:Make", str(path)],
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
        )[0]
        out["exiftool"] = (got.get("Rating"), got.get("Label"), got.get("City"), got.get("Make"))
    if shutil.which("exiv2"):
        got = subprocess.run(
            ["exiv2", "-q", "-K", "Xmp.xmp.Rating", "-K", "Xmp.xmp.Label", "-Pv", "pr", str(path)],
            capture_output=True,
            timeout=60,
        ).stdout.split()
        out["exiv2"] = [v.decode() for v in got]
    return out


@pytest.mark.parametrize("existing", [None, OLD_XMP], ids=["no xmp", "xmp of its own"])
def test_a_heif_copy_gets_xmp_without_re_encoding(tmp_path, existing):
    original = _heic(tmp_path / "IMG_1.HEIC", existing)
    data = original.read_bytes()
    packet = merged_packet(read_embedded_xmp(original), Decision("pick", 4, "red"))
    copy = tmp_path / "copy.HEIC"
    copy.write_bytes(heif_xmp.with_xmp(data, packet))
    assert heif_xmp.same_image(data, copy.read_bytes())
    assert copy.read_bytes()[: len(data)] != data  # the meta box changed ...
    assert np.array_equal(_pixels(copy), _pixels(original))  # ... the pixels did not
    assert embedded_decision(copy) == Decision("pick", 4, "red")
    assert read_embedded_xmp(copy) == packet  # the item the meta box points at, not the old packet
    readers = _readers(copy)
    city = "Lyon" if existing else None
    if "exiftool" in readers:
        assert readers["exiftool"] == (4, "Red", city, "Apple")  # Exif item and foreign XMP fields kept
    if "exiv2" in readers:
        assert readers["exiv2"] == ["4", "Red"]
    if not readers:
        pytest.skip("neither exiftool nor exiv2 on PATH: checked by our own reader only")


def test_the_copy_is_refused_as_same_image_when_a_coded_byte_differs(tmp_path):
    original = _heic(tmp_path / "a.heic")
    data = original.read_bytes()
    copy = bytearray(heif_xmp.with_xmp(data, merged_packet(None, Decision(rating=3))))
    copy[len(data) // 2] ^= 0xFF  # inside the coded image (mdat)
    assert not heif_xmp.same_image(data, bytes(copy))


@pytest.mark.timeout(60)
def test_export_embeds_in_heif_copies_and_says_so_when_it_cannot(tmp_path):
    shoot, dest = tmp_path / "shoot", tmp_path / "selects"
    shoot.mkdir()
    still = _heic(shoot / "IMG_1.HEIC", OLD_XMP, seed=1)
    sequence = _heic(shoot / "IMG_2.HEIC", seed=2)
    sequence.write_bytes(sequence.read_bytes() + struct.pack(">I4s", 8, b"moov"))  # an image sequence
    before = {p.name: p.read_bytes() for p in shoot.iterdir()}
    items = [
        ExportItem((still,), 1, 1, 0.9, Decision("pick", 5, None)),
        ExportItem((sequence,), 1, 2, 0.4, Decision(rating=2)),
    ]
    report = run(run_export(plan_export(items, dest, mode="copy")))
    assert report.ok, report.summary()
    assert {p.name: p.read_bytes() for p in shoot.iterdir()} == before  # originals never touched
    details = {e.dest.name: e.detail for e in report.copied}
    assert details["IMG_1.HEIC"] == "copy+xmp"
    assert embedded_decision(dest / "IMG_1.HEIC") == Decision("pick", 5, None)
    assert np.array_equal(_pixels(dest / "IMG_1.HEIC"), _pixels(still))
    assert details["IMG_2.HEIC"].startswith("copy (no XMP inside: HEIF: an image sequence")
    assert (dest / "IMG_2.HEIC").read_bytes() == before["IMG_2.HEIC"]  # a verified byte copy instead
    assert "no XMP inside" in report.summary()
    # Exported again after a change: the copy's XMP is brought up to date, still the same image.
    items[0] = ExportItem((still,), 1, 1, 0.9, Decision("reject", 0, None))
    again = run(run_export(plan_export(items, dest, mode="copy")))
    assert again.ok, again.summary()
    assert embedded_decision(dest / "IMG_1.HEIC") == Decision("reject", 0, None)
    assert heif_xmp.same_image(before["IMG_1.HEIC"], (dest / "IMG_1.HEIC").read_bytes())
