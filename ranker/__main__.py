"""`python -m ranker ...`: the headless commands."""

import sys

from ranker.blas_threads import limit_blas_threads
from ranker.cli.main import main  # imports nothing that loads NumPy

limit_blas_threads()
sys.exit(main())
