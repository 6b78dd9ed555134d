"""CPU-time ratio of a first `rank` to decoding alone, one thread: a load-independent check of the 2x target.

    python -m benchmarks.cpu_ratio FOLDER [--size N] [--model PATH]

Wall-clock ratios (benchmarks.speed) are the target's definition; on a machine shared with other
jobs they swing by 2x between runs, while process CPU time stays put. FOLDER is any shoot, e.g.
build/bench-photos/shoot-100 written by `python -m benchmarks.speed --quick`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", type=int, help="decode size (default: what the model's extractors need)")
    parser.add_argument("--model", type=Path, help="checkpoint (default: the active default)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
    from ranker.features.registry import get_extractor
    from ranker.io.images import load_photo
    from ranker.ml.active_model import resolve_model
    from ranker.store.catalog import Catalog

    checkpoint, _ = resolve_model(args.model)
    size = args.size or max(
        get_extractor(n).decode_size for n in [*checkpoint.model.config.extractor_names, "descriptor"]
    )
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    started = time.process_time()
    for path in paths:
        load_photo(path, max_size=size)
    decode = time.process_time() - started
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.db")
        started = time.process_time()
        run(rank_shoot(args.folder, catalog, model_path=args.model, options=PipelineOptions(decode_workers=1)))
        first = time.process_time() - started
        catalog.close()
    result = {
        "photos": len(paths),
        "decode_size": size,
        "decode_cpu_s": decode,
        "first_rank_cpu_s": first,
        "ratio": first / decode,
    }
    print(
        f"{len(paths)} photos: decode at {size} px {decode:.1f} CPU-s, first rank {first:.1f} CPU-s, "
        f"ratio {first / decode:.2f}"
    )
    return result


if __name__ == "__main__":
    from ranker.blas_threads import limit_blas_threads

    limit_blas_threads()  # as `phototriage rank` does, before NumPy loads
    os.environ.setdefault("PHOTOTRIAGE_DATA_DIR", tempfile.mkdtemp(prefix="phototriage-cpu-ratio-"))
    main()
