"""Bytes on disk: decoding photos, reading their metadata, writing files safely (no catalog, no model)."""
