"""The diagnostic log: a rotating file in the data dir that keeps every unexpected error's traceback."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

#: the packages whose records reach the file (third-party libraries keep their own defaults)
LOGGERS = ("ranker", "phototriage_gui")
#: a day of heavy use fits one file; three old ones are kept
MAX_BYTES = 1 << 20
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(process)d [%(threadName)s] %(name)s: %(message)s"

_handler: logging.Handler | None = None


def log_file() -> Path:
    """Where the log is written: <data dir>/logs/phototriage.log (PHOTOTRIAGE_DATA_DIR moves it, as tests do)."""
    from ranker.paths import data_dir

    return data_dir() / "logs" / "phototriage.log"


def setup_logging(program: str) -> Path | None:
    """Send ranker's and the GUI's records (INFO and up) to the log file; idempotent.

    Returns the file, or None when it cannot be opened (a read-only data dir): diagnostics must never
    stop the app, so a failure here leaves logging to stderr for warnings only.
    """
    global _handler
    path = log_file()
    if isinstance(_handler, logging.FileHandler):
        if Path(_handler.baseFilename) == path.absolute():
            return path
        stop_logging()  # the data dir moved (PHOTOTRIAGE_DATA_DIR): follow it
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:
        print(f"phototriage: cannot write the log {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    _handler = handler
    logging.getLogger("ranker").info("%s started (pid %d): %s", program, os.getpid(), " ".join(sys.argv[1:]))
    return path


def stop_logging() -> None:
    """Detach and close the file handler (tests, and a process that changes its data dir)."""
    global _handler
    if _handler is None:
        return
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(_handler)
    _handler.close()
    _handler = None


def log_unexpected(where: str, exc: BaseException) -> str:
    """Log `exc` with its traceback and return the line to show the user (what failed, where the details are)."""
    logging.getLogger("ranker").error("unexpected error in %s", where, exc_info=exc)
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    target = log_file() if _handler is not None else None
    return f"unexpected error in {where}: {detail}" + (f" (traceback in {target})" if target else "")
