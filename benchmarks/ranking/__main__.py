"""`python -m benchmarks.ranking`: runs benchmarks.ranking.cli."""

from benchmarks.ranking.cli import main

if __name__ == "__main__":
    main()
