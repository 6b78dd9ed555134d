"""ranker/'s sub-packages are layers: a module imports only its own layer and those below (lazy imports too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ranker

ROOT = Path(ranker.__file__).resolve().parent

#: bottom to top. Top-level modules are the base every layer may use (errors, progress, the decision
#: and burst vocabularies); `__main__` and `default_model` (the offline default's build) sit above it all.
LAYERS: tuple[str, ...] = (
    "ranker",  # ranker/*.py: errors, problems, progress, logs, paths, decisions, bursts, device
    "ranker.io",  # bytes on disk: decoding, metadata, safe writes
    "ranker.xmp",  # sidecar and embedded XMP
    "ranker.store",  # the catalog and its sync with the disk
    "ranker.features",  # frozen feature extractors
    "ranker.ml",  # the Siamese ranker, checkpoints, training, which model ranks
    "ranker.engines",  # where features are computed
    "ranker.culling",  # the ranking pipeline and the first pass
    "ranker.export",  # exporting selects
    "ranker.learning",  # learning the user's taste
    "ranker.datasets",  # training and evaluation data (features through the pipeline, synthetic bursts)
    "ranker.cli",  # the command line
    "ranker.entry",  # python -m ranker, python -m ranker.default_model
)
ENTRY_MODULES = {"ranker.__main__", "ranker.default_model"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    if module in ENTRY_MODULES:
        return LAYERS.index("ranker.entry")
    parts = module.split(".")
    package = ".".join(parts[:2])
    if len(parts) > 1 and package in LAYERS and (ROOT / parts[1]).is_dir():
        return LAYERS.index(package)
    return LAYERS.index("ranker")


def imported_modules(path: Path) -> set[str]:
    """Every ranker module `path` imports anywhere in its body (`from ranker import x` names x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "ranker"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "ranker":
                continue
            found.add(node.module)
            for alias in node.names:  # a submodule imported by name: its own layer counts
                candidate = f"{node.module}.{alias.name}"
                if (ROOT.parent / candidate.replace(".", "/")).with_suffix(".py").is_file() or (
                    ROOT.parent / candidate.replace(".", "/")
                ).is_dir():
                    found.add(candidate)
    return found


SOURCES = sorted(p for p in ROOT.rglob("*.py") if "_vendor" not in p.parts)


def test_every_sub_package_has_a_layer() -> None:
    packages = {f"ranker.{p.name}" for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(LAYERS), f"give these packages a place in LAYERS: {sorted(packages - set(LAYERS))}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_the_layers(path: Path) -> None:
    importer = module_name(path)
    upward = sorted(
        m for m in imported_modules(path) if layer_of(m) > layer_of(importer) and not m.startswith(importer + ".")
    )
    assert not upward, f"{importer} ({LAYERS[layer_of(importer)]}) imports a higher layer: {upward}"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The check itself: a store module importing the pipeline is caught, lazily imported or not."""
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from ranker.culling.pipeline import run\n    from ranker import errors\n")
    found = imported_modules(fake)
    assert "ranker.culling.pipeline" in found
    assert layer_of("ranker.culling.pipeline") > layer_of("ranker.store.catalog")
    assert layer_of("ranker.errors") < layer_of("ranker.io.images")
