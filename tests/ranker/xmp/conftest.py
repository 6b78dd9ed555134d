"""A writable copy of the hand-written XMP fixtures (tests/data/xmp) for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ranker.xmp.helpers import DATA


@pytest.fixture
def fixtures(tmp_path) -> Path:
    folder = tmp_path / "fixtures"
    shutil.copytree(DATA, folder)
    return folder
