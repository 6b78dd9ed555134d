"""`python -m benchmarks.speed`: runs benchmarks.speed.cli."""

from benchmarks.speed.cli import main

if __name__ == "__main__":
    main()
