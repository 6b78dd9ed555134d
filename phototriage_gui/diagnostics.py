"""Diagnostics: the app's log, a rotating file in the data dir, and the traceback of each unexpected error."""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path

from ranker.paths import data_dir

LOG_BYTES, LOG_FILES = 1_000_000, 3  # a few sessions' worth, small enough to attach to a bug report
log = logging.getLogger("phototriage_gui")


def log_file() -> Path:
    return data_dir() / "logs" / "phototriage.log"


def setup_logging(path: Path | None = None) -> logging.Handler | None:
    """Log to `path` (default: log_file()) from now on; None, and nothing changed, when it cannot be written."""
    path = path or log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_BYTES, backupCount=LOG_FILES, encoding="utf-8"
        )
    except OSError:
        return None  # a read-only data dir must not stop the app; errors still reach the window
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    return handler


def describe_failure(what: str, exc: BaseException) -> str:
    """Log an unexpected error with its traceback (raised on a worker thread, it still carries it) and return
    the traceback as text, for the message bar's Details."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("%s: %s", what, exc, exc_info=(type(exc), exc, exc.__traceback__))
    return details
