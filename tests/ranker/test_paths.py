"""Shipped files are found through importlib.resources, the same way in a checkout and an install (ranker/paths.py)."""

from __future__ import annotations

import importlib.resources

from ranker.paths import RESOURCES_PACKAGE, resource, resources_dir


def test_resources_come_from_the_resources_package():
    package_dir = importlib.resources.files(RESOURCES_PACKAGE)
    assert resources_dir() == package_dir
    for parts in (("default_ranker.pt",), ("icons", "phototriage.svg"), ("phototriage.desktop",)):
        assert resource(*parts).is_file(), parts
    assert resource("training_photos", "LICENSE.md").is_file()


def test_the_package_is_the_repository_resources_folder():
    """phototriage_resources links to resources/: one set of files, whichever name finds them."""
    assert resources_dir().resolve().name == "resources"
