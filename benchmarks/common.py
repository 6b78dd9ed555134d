"""What both benchmarks share: common flags, the machine description, medians of repeated timings, tables, JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType

#: Repository root: benchmark caches default to build/ under it (gitignored).
ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
#: the camera samples and RAW files shared between checkouts (../shared/photos unless the environment says otherwise)
SHARED_PHOTOS = Path(os.environ.get("PHOTOTRIAGE_SHARED_PHOTOS", ROOT.parent / "shared" / "photos"))


def log(message: str) -> None:
    """Progress goes to stderr: stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            import subprocess

            return (
                subprocess.run(
                    ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
                ).stdout.strip()
                or platform.processor()
            )
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def machine(device: str = "auto") -> dict:
    """CPU model, cores, RAM, load, library versions and the torch device the run used."""
    import numpy
    import PIL
    import torch

    from ranker.device import select_device

    chosen = select_device(device)
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": round(ram_bytes() / 2**30, 1) if ram_bytes() else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": numpy.__version__,
        "pillow": PIL.__version__,
        "device": str(chosen),
    }
    if chosen.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(chosen)
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def describe_machine(info: dict) -> str:
    gpu = f", GPU {info['gpu']}" if info.get("gpu") else ""
    load = info.get("load_average_at_start")
    load_text = f"; load average at start {load[0]:.2f}" if load else ""
    return (
        f"{info['cpu']}, {info['usable_cores']} cores, {info['ram_gib']} GiB RAM, {info['os']}, "
        f"Python {info['python']}, torch {info['torch']} ({info['torch_threads']} threads), "
        f"device {info['device']}{gpu}{load_text}"
    )


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_time(fn: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> dict:
    """Run `fn` `repeats` times (after `setup`, untimed, each time): median, min, max seconds."""
    times = []
    for _ in range(max(1, repeats)):
        if setup is not None:
            setup()
        elapsed, _ = timed(fn)
        times.append(elapsed)
    return summary(times)


def summary(times: Sequence[float]) -> dict:
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "runs": len(times),
        "all": [round(t, 6) for t in times],
    }


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: Path | str | None, data: dict) -> None:
    if path is None:
        return
    text = json.dumps(data, indent=2, default=_jsonable)
    if str(path) == "-":
        sys.stdout.write(text + "\n")
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def _jsonable(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    try:
        import numpy

        if isinstance(value, numpy.generic):
            return value.item()
    except ImportError:
        pass
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def benchmark_parser(package: ModuleType) -> argparse.ArgumentParser:
    """`python -m <package>`'s parser, described by its docstring's first line, with the flags both
    suites (ranking and speed) take alike: --json, --sources, --seed."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {package.__name__}", description=(package.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write machine-readable results ('-': stdout)")
    parser.add_argument("--sources", type=int, metavar="N", help="use only the first N scikit-image photos")
    parser.add_argument("--seed", type=int, default=2024)
    return parser


def command_line(module: str, argv: Sequence[str] | None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python", "-m", module, *args])


def in_work_dir(work: Path | None, prefix: str, body: Callable[[Path], dict]) -> dict:
    """Run `body(folder)` in `work` (kept, for inspection) or in a temporary folder removed afterwards."""
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        return body(work)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        return body(Path(folder))
