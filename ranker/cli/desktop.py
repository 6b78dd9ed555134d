"""Install the freedesktop.org menu entry and icon for the current user, so a Linux desktop launches the app."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ranker.io.files import replacing
from ranker.paths import resource

DESKTOP_FILE = "phototriage.desktop"
ICON_FILE = "phototriage.svg"


def xdg_data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share as the XDG Base Directory spec defines."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


@dataclass(frozen=True)
class DesktopFiles:
    entry: Path  # .../applications/phototriage.desktop
    icon: Path  # .../icons/hicolor/scalable/apps/phototriage.svg

    @classmethod
    def under(cls, data_home: Path) -> DesktopFiles:
        return cls(
            data_home / "applications" / DESKTOP_FILE, data_home / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE
        )


def launcher() -> str:
    """The Exec= command: the absolute `phototriage` script of this install when there is one (a desktop
    session's PATH often lacks ~/.local/bin, where pipx puts it), else this interpreter with -m."""
    script = shutil.which("phototriage")
    if script:
        return _quote(str(Path(script).absolute()))
    return f"{_quote(sys.executable)} -m phototriage_gui"


def _quote(arg: str) -> str:
    """Quote an Exec= argument as the Desktop Entry spec requires when it holds reserved characters."""
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def entry_text(command: str) -> str:
    """The shipped desktop entry with Exec/TryExec pointing at `command`."""
    lines = []
    for line in resource(DESKTOP_FILE).read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={command} %f"
        elif line.startswith("TryExec="):
            continue  # TryExec takes a bare path, and Exec= is already absolute
        lines.append(line)
    return "\n".join(lines) + "\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)  # desktop entries and icons are read by the desktop, not only by us


def install(data_home: Path | None = None, command: str | None = None) -> DesktopFiles:
    files = DesktopFiles.under(data_home or xdg_data_home())
    _write(files.icon, resource("icons", ICON_FILE).read_bytes())
    _write(files.entry, entry_text(command or launcher()).encode("utf-8"))
    return files


def uninstall(data_home: Path | None = None) -> list[Path]:
    """Remove what install() wrote; returns the files that were there."""
    files = DesktopFiles.under(data_home or xdg_data_home())
    removed = [path for path in (files.entry, files.icon) if path.exists()]
    for path in removed:
        path.unlink()
    return removed
