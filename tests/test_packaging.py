"""The wheel carries everything the app needs: built, installed into a fresh venv away from the checkout,
it ranks a folder offline with the shipped default checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.ranker.shoots import write_known_shoot

ROOT = Path(__file__).resolve().parents[1]
#: what the wheel is built from (everything else in the checkout stays out of the copy)
SOURCES = ("pyproject.toml", "README.md", "ranker", "phototriage_gui", "resources", "phototriage_resources")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    """Without PYTHONPATH: a checkout on the path would be found instead of the wheel (and its build
    metadata would tell pip that phototriage is already installed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the sources, so the build writes nothing into the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_symlink():
            os.symlink(os.readlink(path), src / name)
        elif path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp / "dist"),
            str(src),
        ]
    )
    (built,) = (tmp / "dist").glob("phototriage-*.whl")
    return built


def test_the_wheel_holds_the_resources_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "resources").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"phototriage_resources/{path.relative_to(ROOT / 'resources').as_posix()}" in names, path
    for package in ("ranker", "phototriage_gui"):
        for path in (ROOT / package).rglob("*.py"):
            assert path.relative_to(ROOT).as_posix() in names, path
    assert "ranker/py.typed" in names
    assert not any("__pycache__" in name for name in names)


@pytest.mark.slow
def test_the_installed_wheel_ranks_offline_with_its_default(wheel, tmp_path):
    # A fresh venv whose only link to the shared one is its third-party packages (a .pth line, which
    # does not run the shared venv's editable-install hook): the checkout is nowhere on its path.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    # after the install: with the shared packages visible, pip would find the editable phototriage "installed"
    shared = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "shared_venv.pth").write_text("".join(f"{p}\n" for p in sorted(shared)))

    shoot = tmp_path / "shoot"
    best = write_known_shoot(shoot, sources=("astronaut", "coffee"), size=256)
    result = _run([str(venv / "bin" / "phototriage"), "rank", str(shoot), "--quiet", "--json", "-"], cwd=tmp_path)
    ranking = json.loads(result.stdout)
    model_path = Path(ranking["model"]["path"])
    assert model_path.is_relative_to(site / "phototriage_resources") and model_path.name == "default_ranker.pt"
    assert ranking["model"]["why"] == "shipped offline default"
    assert {burst["photos"][0]["path"].rsplit("/", 1)[-1] for burst in ranking["bursts"]} == set(best.values())

    where = _run(
        [
            str(python),
            "-c",
            "import ranker, phototriage_gui, ranker.paths as p; "
            "print(ranker.__file__, phototriage_gui.__file__, p.resource('icons', 'phototriage.svg'))",
        ],
        cwd=tmp_path,
    ).stdout.split()
    assert all(Path(path).is_relative_to(site) for path in where), where
    assert Path(where[2]).is_file()
