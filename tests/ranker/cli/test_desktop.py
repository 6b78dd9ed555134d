"""`phototriage install-desktop`: a valid freedesktop.org entry and icon in the user's data dir."""

from __future__ import annotations

import configparser
import shlex

from ranker.cli import desktop
from ranker.cli.main import main
from ranker.paths import resource


def _entry(path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop entries
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_writes_entry_and_icon_where_xdg_says(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["install-desktop"]) == 0
    entry_path = tmp_path / "share" / "applications" / "phototriage.desktop"
    icon = tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "phototriage.svg"
    assert str(entry_path) in capsys.readouterr().out
    assert icon.read_bytes() == resource("icons", "phototriage.svg").read_bytes()
    entry = _entry(entry_path)
    assert entry["Type"] == "Application" and entry["Name"] == "PhotoTriage" and entry["Icon"] == "phototriage"
    assert "Photography" in entry["Categories"].split(";") and entry["Terminal"] == "false"
    command = shlex.split(entry["Exec"])
    assert command[-1] == "%f" and (command[0].endswith("phototriage") or command[1:3] == ["-m", "phototriage_gui"])

    assert main(["install-desktop", "--uninstall"]) == 0
    assert not entry_path.exists() and not icon.exists()
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_exec_is_quoted_when_the_path_has_spaces(tmp_path):
    files = desktop.install(tmp_path, command=desktop._quote("/opt/my apps/bin/phototriage"))
    assert _entry(files.entry)["Exec"] == '"/opt/my apps/bin/phototriage" %f'
    assert "TryExec" not in _entry(files.entry)


def test_launcher_falls_back_to_this_interpreter(monkeypatch):
    monkeypatch.setattr(desktop.shutil, "which", lambda name: None)
    assert desktop.launcher().endswith("-m phototriage_gui")
