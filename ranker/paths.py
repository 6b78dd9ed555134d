"""Where PhotoTriage keeps its catalog, model cache and personal models (platformdirs, env-overridable)."""
from __future__ import annotations

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


def resources_dir() -> Path:
    """The shipped resources/ folder (default checkpoint, icons, stylesheet)."""
    return Path(__file__).resolve().parent.parent / "resources"
