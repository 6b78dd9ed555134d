"""The engine seam (ranker/engines/base.py): choosing an engine, and Ray never loaded unless asked."""

import subprocess
import sys

import pytest

from ranker.engines.base import engine_for


def test_local_is_the_pipelines_own_pool_and_unknown_names_are_refused():
    assert engine_for("local") is None
    with pytest.raises(ValueError, match="--address needs --engine ray"):
        engine_for("local", "head:6379")
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        engine_for("spark")


def test_without_ray_installed_the_error_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ValueError, match=r"phototriage\[cluster\]"):
        engine_for("ray")


def test_the_app_and_every_other_command_never_import_ray():
    """Every ranker module but the Ray engine's own, the CLI's commands and the GUI's entry point:
    none may load ray (start-up time and memory belong to those who asked for a cluster)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import ranker, phototriage_gui.__main__ as app\n"
        "names = [m.name for m in pkgutil.walk_packages(ranker.__path__, 'ranker.')\n"
        "         if not m.name.endswith('__main__') and not m.name.startswith('ranker.engines.ray')]\n"
        "for name in names: importlib.import_module(name)\n"
        "from ranker.cli.main import build_parser\n"
        "build_parser().parse_args(['rank', '.', '--engine', 'ray'])\n"
        "import ranker.engines.ray_tasks\n"  # the worker side alone needs no ray at import either
        "bad = sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.'))\n"
        "print(bad[:5])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"ray imported: {result.stdout} {result.stderr[-2000:]}"
