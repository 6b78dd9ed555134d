"""Fuzz benchmark: the mutated-file corpus of tests/ranker/test_fuzz.py plus metadata bombs, each file
read by a worker process under a per-file time limit; counts cases tried / handled / crashed / hung / data lost.

handled: decoded, or refused with ImageLoadError naming the file (XMP: read, or XmpError).
crashed: any other exception. hung: over the time limit (the worker is killed and restarted).
data lost: a byte of the corpus changed. Finally `rank` runs over the whole folder once.

    .venv/bin/python -m benchmarks.fuzz [--timeout 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import command_line, markdown_table, write_json


def build(folder: Path, scratch: Path) -> dict[Path, str]:
    """The fuzz corpus and the bombs, {file: how it was made}."""
    from tests import fault_files as faults
    from tests.ranker.test_fuzz import build_corpus

    made, _ = build_corpus(folder, scratch)
    for suffix in (".CR2", ".DNG", ".NEF"):
        for entries in (290, 4096, 65535):
            made[faults.ifd_loop_raw(folder / f"loop{entries}{suffix}", entries)] = (
                f"IFD loop, {entries} entries, {suffix}"
            )
    for megabytes in (1.5, 8.4):
        made[faults.xmp_flood(folder / f"flood{megabytes}.jpg", megabytes, seed=int(megabytes * 10))] = (
            f"JPEG + {megabytes} MB of unclosed <x:xmpmeta>"
        )
    for megabytes in (30, 50):  # under and over ranker.xmp.MAX_XMP_BYTES (32 MiB)
        photo = folder / f"sidecar{megabytes}.jpg"
        photo.write_bytes(faults.jpeg_bytes(seed=megabytes))
        faults.huge_sidecar(photo.with_suffix(".xmp"), megabytes)
        made[photo] = f"JPEG + {megabytes} MB XMP sidecar (darktable history)"
    made[faults.header_claims_bigger(folder / "claims9000.jpg")] = "JPEG header claims 9000x9000 over 1296x864"
    made[faults.damaged_jpeg(folder / "cut40.jpg")] = "JPEG cut at 40% of its scan"
    made[faults.fifo(folder / "fifo.jpg")] = "FIFO named .jpg"
    made[faults.surrogate_name(folder, b"caf\xe9", seed=3)] = "JPEG with a non-UTF-8 name"
    return made


READY = ("", "ready", "")


def _worker(jobs, results) -> None:
    from ranker.io.images import load_photo
    from ranker.io.load_errors import ImageLoadError
    from ranker.xmp import XmpError, read_decision

    results.put(READY)
    for path in iter(jobs.get, None):
        outcome = "handled"
        detail = ""
        try:
            try:
                load_photo(path, max_size=512)
            except ImageLoadError as exc:
                if Path(path).name not in str(exc) and os.fsencode(Path(path).name) not in os.fsencode(str(exc)):
                    outcome, detail = "crashed", f"message does not name the file: {exc}"
            if os.path.isfile(path) and outcome == "handled":
                try:
                    read_decision(Path(path))
                except XmpError:
                    pass
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            outcome, detail = "crashed", f"{type(exc).__name__}: {exc}"
        results.put((path, outcome, detail))


def _digest(folder: Path) -> dict[str, str]:
    out = {}
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            out[entry.name] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
    return out


def run_cases(files: list[Path], limit: float) -> dict[Path, tuple[str, str, float]]:
    ctx = mp.get_context("spawn")
    outcomes: dict[Path, tuple[str, str, float]] = {}
    queue = list(files)
    while queue:
        jobs, results = ctx.Queue(), ctx.Queue()
        worker = ctx.Process(target=_worker, args=(jobs, results), daemon=True)
        worker.start()
        try:
            results.get(timeout=120)  # the worker's imports are done: from here each file gets `limit`
            while queue:
                path = queue.pop(0)
                jobs.put(path)
                started = time.monotonic()
                try:
                    _, outcome, detail = results.get(timeout=limit)
                except Exception:  # noqa: BLE001 - queue.Empty: the file hung the worker
                    outcomes[path] = ("hung", f"over {limit:.0f} s", time.monotonic() - started)
                    break
                outcomes[path] = (outcome, detail, time.monotonic() - started)
        finally:
            worker.kill()
            worker.join()
    return outcomes


def rank_once(folder: Path) -> dict:
    import torch

    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
    from ranker.store.catalog import Catalog

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.db") as catalog:
        started = time.monotonic()
        ranking = run(rank_shoot(folder, catalog, options=PipelineOptions(device="cpu", recursive=True)))
        return {
            "seconds": round(time.monotonic() - started, 2),
            "ranked": sum(len(b.photos) for b in ranking.bursts),
            "reported": len(ranking.errors),
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per file before it counts as hung")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pt-fuzz-") as tmp:
        folder, scratch = Path(tmp) / "shoot", Path(tmp) / "scratch"
        folder.mkdir()
        scratch.mkdir()
        made = build(folder, scratch)
        before = _digest(folder)
        outcomes = run_cases(sorted(made), args.timeout)
        ranked = rank_once(folder)
        lost = sorted(name for name, digest in before.items() if _digest(folder).get(name) != digest)
    counts = {k: sum(1 for o, _, _ in outcomes.values() if o == k) for k in ("handled", "crashed", "hung")}
    bombs = [
        p for p in made if made[p].startswith(("IFD loop", "JPEG +", "JPEG header", "JPEG cut", "FIFO", "JPEG with"))
    ]
    slowest = max(outcomes.items(), key=lambda item: item[1][2])
    figures = {
        "command": command_line("benchmarks.fuzz", argv),
        "tried": len(outcomes),
        **counts,
        "data_lost": len(lost),
        "metadata_bombs": len(bombs),
        "bomb_seconds_max": round(max(outcomes[p][2] for p in bombs), 3),
        "slowest": {"case": made[slowest[0]], "seconds": round(slowest[1][2], 3)},
        "sidecars": {made[p]: round(outcomes[p][2], 3) for p in bombs if "sidecar" in made[p]},
        "rank": ranked,
        "problems": [f"{made[p]}: {o} {d}" for p, (o, d, _) in outcomes.items() if o != "handled"],
    }
    print(
        markdown_table(
            ["tried", "handled", "crashed", "hung", "data lost"],
            [[figures["tried"], counts["handled"], counts["crashed"], counts["hung"], len(lost)]],
        )
    )
    print(
        f"\n{len(bombs)} metadata bombs, slowest {figures['bomb_seconds_max']} s; slowest case overall: "
        f"{figures['slowest']['case']} ({figures['slowest']['seconds']} s)"
    )
    for case, seconds in figures["sidecars"].items():
        print(f"{case}: {seconds} s")
    print(f"rank over the folder: {ranked['ranked']} ranked, {ranked['reported']} reported, {ranked['seconds']} s")
    for line in figures["problems"]:
        print("  " + line)
    write_json(args.json, figures)
    return 0 if counts["crashed"] == counts["hung"] == len(lost) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
