"""Start-up and cached re-rank as a user meets them: whole `phototriage` processes, wall clock.

Part of `python -m benchmarks.speed` (`--startup-only` runs just this). Each figure is the median of
--repeats fresh processes; `torch imported` says whether the command loaded torch. The scoring step
of a cached re-rank is also timed alone, in a fresh process, through NumPy and through torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import markdown_table, summary

COMMANDS = (("--help",), ("models",), ("rank", "--help"))
HEAVY = ("torch", "torchvision", "open_clip", "pyiqa")

#: runs in a child: where the time of one scoring pass over a cached shoot goes, NumPy vs torch
_SCORING_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from ranker.catalog import Catalog
from ranker.active_model import resolve_model
from ranker.pipeline import photo_inputs, shoot_key
catalog = Catalog()
checkpoint, _ = resolve_model(None)
ids = [pid for _, _, members in catalog.bursts(shoot_key(sys.argv[1], False)) for pid in members]
x = photo_inputs(catalog, ids, checkpoint.config)
t1 = time.perf_counter()
if sys.argv[2] == "numpy":
    scores = checkpoint.score(x)
    t2 = t3 = time.perf_counter()
else:
    import torch
    torch.set_num_threads(1)
    t2 = time.perf_counter()
    with torch.inference_mode():
        scores = checkpoint.model(torch.from_numpy(x)).numpy()
    t3 = time.perf_counter()
print(json.dumps({"photos": len(ids), "load_and_inputs_s": t1 - t0, "import_torch_s": t2 - t1,
                  "score_s": t3 - t2, "torch_imported": "torch" in sys.modules}))
"""


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PHOTOTRIAGE_DATA_DIR": str(data_dir), "PHOTOTRIAGE_TORCH_THREADS": "1"}


def _process_time(args: Sequence[str], env: dict[str, str], repeats: int) -> dict:
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return summary(times)


def _heavy_modules(cli_args: Sequence[str], env: dict[str, str]) -> list[str]:
    code = (
        "import sys\nfrom phototriage_gui.__main__ import main\n"
        f"try:\n    main({list(cli_args)!r})\nexcept SystemExit:\n    pass\n"
        f"print('\\nHEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    line = [x for x in out.splitlines() if x.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY=") :].split(",") if m]


def startup_benchmarks(shoot: Path, repeats: int) -> dict:
    """Command start-up, and `rank` of an already-ranked `shoot`, in fresh processes."""
    cli = [sys.executable, "-m", "phototriage_gui"]
    with tempfile.TemporaryDirectory(prefix="phototriage-bench-startup-") as work:
        env = _env(Path(work) / "data")
        results: dict = {
            "python": _process_time([sys.executable, "-c", "pass"], env, repeats),
            "import_torch": _process_time([sys.executable, "-c", "import torch"], env, repeats),
            "commands": {},
        }
        for args in COMMANDS:
            results["commands"][" ".join(args)] = {
                **_process_time([*cli, *args], env, repeats),
                "heavy_imported": _heavy_modules(args, env),
            }
        rank = [*cli, "rank", str(shoot), "--quiet"]
        results["first_rank"] = _process_time(rank, env, 1)  # fills the catalog: features, grouping, scores
        results["cached_rank"] = {**_process_time(rank, env, repeats), "heavy_imported": _heavy_modules(rank[3:], env)}
        results["scoring"] = {}
        for path in ("numpy", "torch"):
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, "-c", _SCORING_PROBE, str(shoot), path],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
                for _ in range(max(1, repeats))
            ]
            runs.sort(key=lambda r: r["import_torch_s"] + r["score_s"])
            results["scoring"][path] = runs[len(runs) // 2]
    results["photos"] = results["scoring"]["numpy"]["photos"]
    return results


def startup_report(results: dict) -> str:
    rows = [
        ["`python -c pass` (the interpreter alone)", f"{results['python']['median']:.2f}", "–"],
        ["`python -c 'import torch'`", f"{results['import_torch']['median']:.2f}", "torch"],
    ]
    rows += [
        [f"`phototriage {name}`", f"{d['median']:.2f}", ", ".join(d["heavy_imported"]) or "none"]
        for name, d in results["commands"].items()
    ]
    cached = results["cached_rank"]
    rows.append(
        [
            f"`phototriage rank` of {results['photos']} photos, cached",
            f"{cached['median']:.2f}",
            ", ".join(cached["heavy_imported"]) or "none",
        ]
    )
    lines = [
        f"Start-up (whole processes, wall clock, median of {results['python']['runs']}):",
        "",
        markdown_table(["command", "seconds", "heavy modules imported"], rows),
        "",
    ]
    numpy_path, torch_path = results["scoring"]["numpy"], results["scoring"]["torch"]
    lines.append(
        f"Scoring {results['photos']} cached photos: NumPy {1000 * numpy_path['score_s']:.2f} ms; torch "
        f"{1000 * torch_path['score_s']:.2f} ms after {torch_path['import_torch_s']:.2f} s to import it "
        f"(checkpoint and inputs from the catalog: {numpy_path['load_and_inputs_s']:.2f} s either way)."
    )
    return "\n".join(lines)
