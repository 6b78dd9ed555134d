"""Tests ranker/xmp/paths.py: a photo's sidecar names in each style, and which sidecar is whose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from ranker import xmp
from ranker.xmp import Decision, find_sidecar, read_decision, sidecar_path, write_sidecar
from tests.ranker.xmp.helpers import DATA, make_xmp


def test_sidecar_path_styles():
    assert sidecar_path(Path("/a/IMG_0001.CR2")) == Path("/a/IMG_0001.xmp")
    assert sidecar_path(Path("/a/IMG_0001.CR2"), "darktable") == Path("/a/IMG_0001.CR2.xmp")
    with pytest.raises(ValueError, match="style"):
        sidecar_path(Path("x.jpg"), "lightroom")


def test_find_sidecar_either_style_and_case(tmp_path):
    photo = tmp_path / "IMG_0001.CR2"
    photo.write_bytes(b"raw")
    assert find_sidecar(photo) is None
    (tmp_path / "IMG_0001.XMP").write_bytes(make_xmp('xmp:Rating="2"'))
    assert find_sidecar(photo).name.lower() == "img_0001.xmp"
    # The file-specific (darktable/digiKam) name wins over the shared Adobe one.
    (tmp_path / "IMG_0001.CR2.xmp").write_bytes(make_xmp('xmp:Rating="4"'))
    assert find_sidecar(photo) == tmp_path / "IMG_0001.CR2.xmp"
    assert len(xmp.find_sidecars(photo)) == 2
    assert read_decision(photo) == Decision(None, 4, None)


def test_darktable_style_names(tmp_path):
    raw, jpg = tmp_path / "IMG_0002.CR2", tmp_path / "IMG_0002.JPG"
    raw.write_bytes(b"raw")
    Image.new("RGB", (8, 8)).save(jpg)
    shutil.copy(DATA / "darktable.xmp", tmp_path / "IMG_0002.CR2.xmp")
    assert read_decision(raw) == Decision(None, 1, "green")
    assert read_decision(jpg) is None  # IMG_0002.CR2.xmp belongs to the RAW only
    out = write_sidecar(jpg, Decision("pick", 2, None), style="darktable")
    assert out == tmp_path / "IMG_0002.JPG.xmp"
    assert read_decision(jpg) == Decision("pick", 2, None)
    assert read_decision(raw) == Decision(None, 1, "green")
