"""ranker/ must never import Qt: import every module in a fresh interpreter and look."""

import pkgutil
import subprocess
import sys

import ranker


def test_importing_every_ranker_module_does_not_import_qt():
    modules = [m.name for m in pkgutil.walk_packages(ranker.__path__, "ranker.") if not m.name.endswith("__main__")]
    assert len(modules) > 20
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"Qt imported by ranker: {result.stdout} {result.stderr[-2000:]}"


def test_cli_subcommand_does_not_import_qt():
    code = (
        "import sys\n"
        "from phototriage_gui.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
