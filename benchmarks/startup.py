"""Start-up and cached re-rank as a user meets them: whole `phototriage` processes, wall clock.

Part of `python -m benchmarks.speed` (`--startup-only` runs just this; `--baseline DIR` times another
checkout's code the same way, its runs interleaved with ours so that machine load hits both alike).
Each figure is the median of --repeats fresh processes, with the heavy modules the command imported.
The scoring step of a cached re-rank is also timed alone, in a fresh process, through NumPy and torch.
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

from benchmarks.common import ROOT, markdown_table, summary

COMMANDS = (("--help",), ("models",), ("rank", "--help"))
HEAVY = ("torch", "torchvision", "open_clip", "pyiqa")

#: runs in a child: where the time of one scoring pass over a cached shoot goes, NumPy vs torch
_SCORING_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from ranker.blas_threads import limit_blas_threads
limit_blas_threads()  # as the entry points do
from ranker.store.catalog import Catalog
from ranker.ml.active_model import resolve_model
from ranker.culling.ranking_assembly import shoot_key
from ranker.culling.scoring import photo_inputs
catalog = Catalog()
checkpoint, _ = resolve_model(None)
ids = [pid for _, _, members in catalog.bursts(shoot_key(sys.argv[1], False)) for pid in members]
x = photo_inputs(catalog, ids, checkpoint.config)
t1 = time.perf_counter()
if sys.argv[2] == "numpy":
    t2 = time.perf_counter()
    scores = checkpoint.score(x)
    t3 = time.perf_counter()
else:
    import torch
    torch.set_num_threads(1)
    t2 = time.perf_counter()
    with torch.inference_mode():
        scores = checkpoint.model(torch.from_numpy(x)).numpy()
    t3 = time.perf_counter()
print(json.dumps({"photos": len(ids), "imports_and_inputs_s": t1 - t0, "import_torch_s": t2 - t1,
                  "score_s": t3 - t2}))
"""


def _env(code: Path, work: Path) -> dict[str, str]:
    """Run `code`'s phototriage (on the path, and the working directory `-m` puts first) with its own
    catalog, never the user's."""
    return {
        **os.environ,
        "PYTHONPATH": str(code),
        "PHOTOTRIAGE_DATA_DIR": str(work / "data"),
        "PHOTOTRIAGE_CACHE_DIR": str(work / "cache"),
        "PHOTOTRIAGE_TORCH_THREADS": "1",
    }


def _seconds(args: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        args, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def _heavy_modules(cli_args: Sequence[str], env: dict[str, str]) -> list[str]:
    code = (
        "import sys\nfrom phototriage_gui.__main__ import main\n"
        f"try:\n    main({list(cli_args)!r})\nexcept SystemExit:\n    pass\n"
        f"print('\\nHEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True, check=True).stdout
    line = [x for x in out.splitlines() if x.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY=") :].split(",") if m]


def _scoring(shoot: Path, env: dict[str, str], repeats: int) -> dict:
    results = {}
    for path in ("numpy", "torch"):
        runs = []
        for _ in range(max(1, repeats)):
            probe = [sys.executable, "-c", _SCORING_PROBE, str(shoot), path]
            done = subprocess.run(probe, env=env, cwd=env["PYTHONPATH"], capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout))
        runs.sort(key=lambda r: r["import_torch_s"] + r["score_s"])
        results[path] = runs[len(runs) // 2]
    return results


def startup_benchmarks(shoot: Path, repeats: int, baseline: Path | None = None) -> dict:
    """Command start-up, and `rank` of an already-ranked `shoot`, in fresh processes; with `baseline`
    (another checkout), the same for its code, run by run in turn with ours."""
    trees = {"this": ROOT, **({"baseline": baseline} if baseline else {})}
    cli = [sys.executable, "-m", "phototriage_gui"]
    jobs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import torch'": [sys.executable, "-c", "import torch"],
        **{f"phototriage {' '.join(args)}": [*cli, *args] for args in COMMANDS},
        "phototriage rank (cached)": [*cli, "rank", str(shoot), "--quiet"],
    }
    results: dict = {"load_average_at_start": os.getloadavg(), "trees": {name: str(p) for name, p in trees.items()}}
    with tempfile.TemporaryDirectory(prefix="phototriage-bench-startup-") as work:
        envs = {name: _env(path, Path(work) / name) for name, path in trees.items()}
        for name, env in envs.items():  # fills each catalog: features, grouping, scores
            results.setdefault("first_rank_s", {})[name] = _seconds(jobs["phototriage rank (cached)"], env)
        times: dict[str, dict[str, list[float]]] = {name: {job: [] for job in jobs} for name in trees}
        for _ in range(max(1, repeats)):
            for job, args in jobs.items():
                for name, env in envs.items():
                    times[name][job].append(_seconds(args, env))
        for name, env in envs.items():
            results[name] = {job: summary(t) for job, t in times[name].items()}
            for job, args in jobs.items():
                if job.startswith("phototriage"):
                    results[name][job]["heavy_imported"] = _heavy_modules(args[3:], env)
        results["scoring"] = _scoring(shoot, envs["this"], repeats)
    results["photos"] = results["scoring"]["numpy"]["photos"]
    results["load_average_at_end"] = os.getloadavg()
    return results


def startup_report(results: dict) -> str:
    names = [name for name in ("this", "baseline") if name in results]
    header = [
        "command",
        *(f"seconds ({'this code' if n == 'this' else results['trees'][n]})" for n in names),
        "heavy modules imported (this code)",
    ]
    rows = []
    for job, data in results["this"].items():
        label = f"`{job}`".replace(" (cached)`", f" SHOOT` ({results['photos']} photos, cached)")
        heavy = data.get("heavy_imported")
        rows.append(
            [
                label,
                *(f"{results[n][job]['median']:.2f}" for n in names),
                "–" if heavy is None else (", ".join(heavy) or "none"),
            ]
        )
    start, end = results["load_average_at_start"][0], results["load_average_at_end"][0]
    lines = [
        f"Start-up (whole processes, wall clock, median of {results['this']['python -c pass']['runs']}; "
        f"load average {start:.1f} at start, {end:.1f} at end):",
        "",
        markdown_table(header, rows),
        "",
    ]
    numpy_path, torch_path = results["scoring"]["numpy"], results["scoring"]["torch"]
    lines.append(
        f"Scoring {results['photos']} cached photos: NumPy {1e6 * numpy_path['score_s']:.0f} µs; torch "
        f"{1e6 * torch_path['score_s']:.0f} µs after {torch_path['import_torch_s']:.2f} s to import it "
        f"(imports, checkpoint and model inputs from the catalog before that: "
        f"{numpy_path['imports_and_inputs_s']:.2f} s either way)."
    )
    return "\n".join(lines)
