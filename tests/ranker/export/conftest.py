"""The shoot the export tests export: a RAW+JPEG pair with two tools' sidecars, and a lone JPEG."""

from __future__ import annotations

import shutil

import pytest

from ranker.export import ExportItem
from ranker.xmp import Decision
from tests.ranker.export.helpers import DATA, PICK, make_jpeg, make_pair


@pytest.fixture
def shoot(tmp_path):
    """A RAW+JPEG pair with a Lightroom sidecar and a darktable sidecar for the JPEG, plus a lone JPEG."""
    src = tmp_path / "shoot"
    raw, jpg = make_pair(src, "IMG_0001", 1)
    shutil.copy(DATA / "lightroom.xmp", src / "IMG_0001.xmp")
    shutil.copy(DATA / "darktable.xmp", src / "IMG_0001.JPG.xmp")
    lone = make_jpeg(src / "IMG_0002.JPG", 2)
    items = [
        ExportItem((raw, jpg), burst_id=3, rank=1, score=0.91, decision=PICK, model="default-v1"),
        ExportItem((lone,), burst_id=3, rank=2, score=0.42, decision=Decision("reject", 0, None)),
    ]
    return src, items
