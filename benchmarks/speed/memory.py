"""Resident memory of this process: the peak, a resettable high-water mark, and the current size."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def rss_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def reset_peak_rss() -> bool:
    """Linux: restart the process's high-water mark (VmHWM), so a peak measures the work after this call."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_since_reset() -> float | None:
    return _status_mib("VmHWM:")


def current_rss_mib() -> float | None:
    """Resident memory right now (Linux /proc), to separate what imports cost from what a run adds."""
    return _status_mib("VmRSS:")


def _status_mib(field: str) -> float | None:
    """A kB figure of /proc/self/status in MiB; None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
