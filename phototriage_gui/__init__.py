"""PhotoTriage desktop app (PySide6)."""
