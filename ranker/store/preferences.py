"""The user's preferences: one typed dataclass with defaults, saved as JSON in the config dir (no Qt)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ranker.bursts import DEFAULT_GAP_SECONDS
from ranker.decisions import Label
from ranker.errors import UsageError
from ranker.io.files import atomic_write_text
from ranker.paths import config_dir

if TYPE_CHECKING:
    from ranker.xmp.style import XmpStyle

FILENAME = "preferences.json"
DEVICES = ("auto", "cpu", "cuda", "mps")
#: how many recently opened folders the File menu remembers
MAX_RECENT = 10
#: how harsh the blink verdict is: eyes open less than 45% / 60% / 75% of the person's best frame
#: in the burst count as closed (ranker.features.face_context.BLINK_STRICTNESS)
BLINK_LEVELS = ("lenient", "normal", "strict")


#: the bounds the preferences dialog offers and every loaded file is checked against
GAP_SECONDS_RANGE = (0.1, 600.0)
KEEP_PER_BURST_RANGE = (1, 99)


@dataclass(frozen=True)
class Preferences:
    burst_gap_seconds: float = DEFAULT_GAP_SECONDS  # frames closer than this (and alike) form one burst
    auto_advance: bool = False  # move to the next photo after a pick/reject/rating (Lightroom's Caps Lock)
    device: str = "auto"  # torch device for feature extraction: auto | cpu | cuda | mps
    keep_per_burst: int = 1  # how many of each burst "Auto cull" marks as picks
    recursive: bool = False  # include sub-folders when opening a folder
    blink_strictness: str = "normal"  # one of BLINK_LEVELS: when half-closed eyes count as "eyes closed"
    #: most recent first; kept here rather than in QSettings because it is the user's, not the window's
    recent_folders: tuple[str, ...] = field(default=())
    #: live write-back: every decision merged into the sidecar beside the original within a second
    write_sidecars: bool = True
    #: shoots (folders) where write-back is off although it is on globally
    sidecars_off_folders: tuple[str, ...] = field(default=())
    #: chosen once per library: adobe (IMG.xmp) or darktable / digikam (IMG.CR2.xmp); see the README table
    sidecar_style: str = "adobe"
    pick_as: str = "both"  # how a pick shows in tools without a pick flag: label | stars | both
    pick_label: str = Label.GREEN.value  # spelled as preferences.json holds it
    pick_min_rating: int = 1

    def __post_init__(self) -> None:
        low, high = GAP_SECONDS_RANGE
        if not low <= float(self.burst_gap_seconds) <= high:
            raise UsageError(f"burst_gap_seconds must be {low:g}-{high:g}, not {self.burst_gap_seconds!r}")
        if self.device not in DEVICES:
            raise UsageError(f"device must be one of {DEVICES}, not {self.device!r}")
        if self.blink_strictness not in BLINK_LEVELS:
            raise UsageError(f"blink_strictness must be one of {BLINK_LEVELS}, not {self.blink_strictness!r}")
        least, most = KEEP_PER_BURST_RANGE
        if not least <= int(self.keep_per_burst) <= most:
            raise UsageError(f"keep_per_burst must be {least}-{most}, not {self.keep_per_burst!r}")
        self.xmp_style()  # validates the sidecar style and pick expression

    def xmp_style(self) -> XmpStyle:
        """The library's sidecar style and pick expression (ranker.xmp.style.XmpStyle)."""
        from ranker.xmp.style import XmpStyle

        return XmpStyle(self.sidecar_style, self.pick_as, self.pick_label, int(self.pick_min_rating))

    def writes_sidecars_in(self, folder: Path | str) -> bool:
        """Live write-back is on globally and not turned off for this shoot."""
        return self.write_sidecars and os.fsdecode(Path(folder).resolve()) not in self.sidecars_off_folders

    def with_sidecars_in(self, folder: Path | str, on: bool) -> Preferences:
        """These preferences with write-back turned on or off for one shoot."""
        path = os.fsdecode(Path(folder).resolve())
        rest = tuple(p for p in self.sidecars_off_folders if p != path)
        return replace(self, sidecars_off_folders=rest if on else (*rest, path))

    def with_recent(self, folder: Path | str) -> Preferences:
        """These preferences with `folder` moved to the top of the recent list."""
        path = os.fsdecode(Path(folder).resolve())
        recent = (path, *(p for p in self.recent_folders if p != path))
        return replace(self, recent_folders=recent[:MAX_RECENT])


def preferences_path() -> Path:
    return config_dir() / FILENAME


def load(path: Path | None = None) -> Preferences:
    """Saved preferences; a missing file gives the defaults, and a damaged or invalid field falls back
    to its default alone so one bad value never loses the others."""
    path = path or preferences_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Preferences()
    if not isinstance(raw, dict):
        return Preferences()
    prefs = Preferences()
    for spec in fields(Preferences):
        if spec.name not in raw:
            continue
        value = raw[spec.name]
        if spec.name in ("recent_folders", "sidecars_off_folders"):
            value = tuple(str(v) for v in value) if isinstance(value, list) else ()
        try:
            prefs = replace(prefs, **{spec.name: _coerce(getattr(prefs, spec.name), value)})
        except (TypeError, ValueError):
            continue
    return prefs


def _coerce(default: Any, value: Any) -> Any:
    """The JSON value as the default's type; bool is checked first because bool is an int."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if isinstance(default, (int, float)) and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(value)
    return type(default)(value)


def save(prefs: Preferences, path: Path | None = None) -> Path:
    """Write atomically, so a crash mid-save leaves the previous file intact."""
    path = path or preferences_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(prefs)
    data["recent_folders"] = list(prefs.recent_folders)
    data["sidecars_off_folders"] = list(prefs.sidecars_off_folders)
    atomic_write_text(path, json.dumps(data, indent=2))
    return path
