"""Suite-wide safety: headless Qt, app directories in tmp, and no network for any test."""

import os
import socket

# Set before anything imports Qt: without a display a Qt test would abort the whole run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Hub libraries retry for ~50 s when offline unless told they are offline.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402


class NetworkBlocked(RuntimeError):
    """A test tried to open a network connection."""


def _refuse(*args, **kwargs):
    raise NetworkBlocked(f"tests must not reach the network (attempted {args[1:] or kwargs})")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Refuse every outgoing connection; local AF_UNIX sockets stay allowed."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        _refuse(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


@pytest.fixture(autouse=True)
def app_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own data and cache directories, never the user's."""
    root = tmp_path_factory.mktemp("appdirs")
    monkeypatch.setenv("PHOTOTRIAGE_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("PHOTOTRIAGE_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("PHOTOTRIAGE_CONFIG_DIR", str(root / "config"))
    return root
