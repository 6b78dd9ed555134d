"""Benchmarks: each `python -m benchmarks.<name>` measures one target; the figures live in docs/BENCHMARKS.md."""
