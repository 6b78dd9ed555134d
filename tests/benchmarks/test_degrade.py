"""The benchmark's independent degradation generator (benchmarks/degrade.py) and its separation from training."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import degrade
from ranker.datasets.synthetic import skimage_photo

ROOT = Path(__file__).resolve().parents[2]
#: every module the default checkpoint's training path runs
TRAINING_MODULES = (
    "ranker.default_model",
    "ranker.datasets.synthetic",
    "ranker.ml.training",
    "ranker.culling.pipeline",
    "ranker.features.registry",
    "ranker.datasets.clive",
    "ranker.ml.quality",
)


def test_training_modules_never_import_the_benchmark_generator():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in TRAINING_MODULES)
        + "bad = [m for m in sys.modules if m == 'benchmarks' or m.startswith('benchmarks.')]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # And no ranker source mentions it, even in a function-level import.
    for path in (ROOT / "ranker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.startswith("benchmarks") for n in names), f"{path} imports {names}"


def test_each_burst_has_exactly_one_clean_frame_and_distinct_degradations(tmp_path):
    rng = np.random.default_rng(0)
    source = skimage_photo("camera")
    for level in ("clear", "subtle"):
        frames = degrade.burst(source, rng, level, 5)
        kinds = [f.degradation for f in frames]
        assert kinds.count("clean") == 1 and len(set(kinds)) == 5
        assert all(f.image.size == frames[0].image.size for f in frames)
    truth = degrade.write_shoot(tmp_path, [("camera", source)], rng, "clear")
    assert truth[0]["best"] in truth[0]["files"] and all(p.is_file() for p in truth[0]["files"])


def test_degradations_actually_degrade():
    rng = np.random.default_rng(1)
    image = skimage_photo("astronaut")
    clean = np.asarray(image, dtype=np.float32)
    for name, function in degrade.DEGRADATIONS.items():
        low, high = degrade.STRENGTHS["clear"][name]
        out = np.asarray(function(image, (low + high) / 2, rng), dtype=np.float32)
        assert out.shape == clean.shape and np.abs(out - clean).mean() > 1.0, name
