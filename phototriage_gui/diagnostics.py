"""Unexpected GUI errors: logged with their traceback (ranker.logs keeps the file) and kept for the Details button."""

from __future__ import annotations

import logging
import traceback

log = logging.getLogger("phototriage_gui")


def describe_failure(what: str, exc: BaseException) -> str:
    """Log an unexpected error with its traceback (raised on a worker thread, it still carries it) and return
    the traceback as text, for the message bar's Details."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("%s: %s", what, exc, exc_info=(type(exc), exc, exc.__traceback__))
    return details
