"""The data files PhotoTriage ships (default checkpoint, icon, desktop entry, training photos), installed as
the `phototriage_resources` package and found with importlib.resources (see ranker/paths.py)."""
