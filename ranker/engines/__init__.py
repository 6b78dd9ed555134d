"""Where features are computed: the local decode pool (default) or a Ray cluster (`--engine ray`)."""

from __future__ import annotations

from ranker.engines.base import Analysed, FeatureEngine, Job, engine_for

__all__ = ["Analysed", "FeatureEngine", "Job", "engine_for"]
