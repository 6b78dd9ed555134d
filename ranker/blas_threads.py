"""One BLAS thread for NumPy, set by the entry points before NumPy loads (an environment default the user may override).

NumPy's only matrix products in PhotoTriage are small: the ranker's NumPy scoring pass (150 photos:
150×40 @ 40×512 @ 512×256) and burst grouping's dot products. OpenBLAS's thread pool makes those
~40x slower when the machine is busy (measured, load average 10 on 2 cores: median 58 ms against
1.5 ms with one thread) and buys nothing when it is idle. torch keeps its own threads
(ranker.device.configure_threads); decoding and extraction parallelise with their own pools.
"""

from __future__ import annotations

import os

BLAS_ENV = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> None:
    """Only before NumPy is imported does this take effect; a value the user set is kept."""
    for name in BLAS_ENV:
        os.environ.setdefault(name, "1")
