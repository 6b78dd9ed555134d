"""`python -m ranker ...`: the headless commands."""
import sys

from ranker.cli import main

sys.exit(main())
