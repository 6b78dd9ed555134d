"""The catalog and what keeps it in step with the disk: photos, decisions, preferences, sidecar sync."""
