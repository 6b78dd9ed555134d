"""Where PhotoTriage keeps its catalog, model cache and personal models (platformdirs, env-overridable),
and where it finds the files it ships (importlib.resources)."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import platformdirs

APP_NAME = "phototriage"


def _dir(env_var: str, default: str) -> Path:
    path = Path(os.environ.get(env_var) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Catalog and personal models; PHOTOTRIAGE_DATA_DIR overrides (tests always do)."""
    return _dir("PHOTOTRIAGE_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Downloaded backbone weights; PHOTOTRIAGE_CACHE_DIR overrides."""
    return _dir("PHOTOTRIAGE_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def config_dir() -> Path:
    """User preferences; PHOTOTRIAGE_CONFIG_DIR overrides."""
    return _dir("PHOTOTRIAGE_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


#: the package the shipped files live in: resources/ in the repository (phototriage_resources is a link to it,
#: so a checkout, an editable install and the wheel all import it under the same name)
RESOURCES_PACKAGE = "phototriage_resources"


def resources_dir() -> Path:
    """The shipped files (default checkpoint, icon, desktop entry, training photos), wherever the
    package was installed."""
    root = importlib.resources.files(RESOURCES_PACKAGE)
    if not isinstance(root, Path):  # a zip import: models are read by path, so it must be unpacked
        raise RuntimeError(f"{RESOURCES_PACKAGE} is inside an archive ({root}); install PhotoTriage unzipped")
    return root


def resource(*parts: str) -> Path:
    """One shipped file, e.g. resource("icons", "phototriage.svg")."""
    return resources_dir().joinpath(*parts)
