"""Files and runs the export tests share: photos to export, snapshots of folders, a plan run to its end."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
from PIL import Image

from ranker import export
from ranker.export import ExportItem, run_export
from ranker.io import files
from ranker.progress import Progress
from ranker.xmp import Decision

DATA = Path(__file__).resolve().parents[2] / "data" / "xmp"
PICK = Decision("pick", 4, "green")


def make_jpeg(path: Path, seed: int) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def make_raw(path: Path, seed: int, size: int = 20_000) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def make_pair(folder: Path, stem: str, seed: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return make_raw(folder / f"{stem}.CR2", seed), make_jpeg(folder / f"{stem}.JPG", seed)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder` with its content hash and mtime."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def drain(gen) -> tuple[list[Progress], export.ExportReport]:
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value


def run(plan, **kw):
    steps, report = drain(run_export(plan, **kw))
    assert steps[-1].item is report and steps[-1].done == steps[-1].total
    return report


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX)] if folder.exists() else []


def three_items(tmp_path):
    src = tmp_path / "src"
    items = [ExportItem(make_pair(src, f"IMG_{i}", i), 1, i, 0.5, PICK) for i in range(3)]
    return src, items
