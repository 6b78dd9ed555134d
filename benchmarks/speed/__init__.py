"""Speed and scaling: decode, thumbnails, extractors, and the whole `rank` pipeline at 100-5,000 photos.

    python -m benchmarks.speed [--quick] [--sizes 1000] [--people 100] [--json FILE] [--device cpu|cuda|auto]

Start-up is timed as whole processes (benchmarks/startup.py; `--startup-only` runs just that).
Benchmark shoots are generated once into build/bench-photos (gitignored): camera-like JPEGs
(1600-2400 px long side, quality 90, mild sensor grain, EXIF capture times in bursts of 5) made
from the photographs bundled with scikit-image, and a people-only shoot made from its public-domain
astronaut portrait (faces on: `rank` analyses faces in every photo). Every file has its own EXIF, so no
two share a content fingerprint and the pipeline analyses each one. Every timing is the median of --repeats
runs; the machine is described in the output. Nothing here is asserted: it is a report.

One module per part: photos (the generated shoots), decode, extractors, trials (whole `rank` runs),
grouping, memory (resident-set readings), report, and cli (flags and the run).
"""

from ranker.blas_threads import limit_blas_threads

# As `phototriage rank` does, before NumPy loads: every module of this package is imported after this
# line, in this process and in each spawned trial process (which imports benchmarks.speed.trials).
limit_blas_threads()
