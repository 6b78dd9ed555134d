"""Backbone weights: a typed spec per file, cached in the user cache dir, downloaded only on request, verified."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from ranker.errors import ModelMissingError, WeightsVerificationError
from ranker.io.files import replacing, sha256_of
from ranker.paths import cache_dir
from ranker.progress import Progress, Stage, check_cancel

__all__ = [
    "ModelMissingError",
    "WeightsSpec",
    "WeightsVerificationError",
    "download",
    "download_steps",
    "import_file",
    "sha256_of",  # re-exported: ranker.io.files is its home
    "verify",
]


@dataclass(frozen=True)
class WeightsSpec:
    """One downloadable weights file and how to trust it."""

    name: str  # the model name users type: `phototriage models download NAME`
    filename: str
    url: str
    licence: str
    size_bytes: int
    sha256: str | None = None  # full digest where the publisher gives one
    sha256_prefix: str | None = None  # torchvision publishes the first 8 hex digits in the file name

    @property
    def path(self) -> Path:
        return cache_dir() / "models" / self.filename

    def is_cached(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def require(self) -> Path:
        """The cached file, or a ModelMissingError that says how to get it (never downloads)."""
        if not self.is_cached():
            raise ModelMissingError(
                f"{self.name}: weights not found at {self.path}. "
                f"Run `phototriage models download {self.name}` (needs network, {self.size_bytes / 1e6:.0f} MB) "
                f"or `phototriage models import {self.name} FILE` with a copy obtained elsewhere."
            )
        return self.path


def verify(spec: WeightsSpec, path: Path) -> str:
    """Check a file against the spec's digest; returns the sha256. Raises WeightsVerificationError."""
    digest = sha256_of(path)
    if spec.sha256 and digest != spec.sha256:
        raise WeightsVerificationError(f"{path}: sha256 {digest} does not match the expected {spec.sha256}")
    if spec.sha256_prefix and not digest.startswith(spec.sha256_prefix):
        raise WeightsVerificationError(
            f"{path}: sha256 {digest[:12]}... does not start with the published prefix {spec.sha256_prefix}"
        )
    return digest


def _install(spec: WeightsSpec, source: Path, validate: Callable[[Path], None] | None, move: bool) -> Path:
    """Verify `source`, optionally check it loads, then atomically place it in the cache."""
    verify(spec, source)
    if validate is not None:
        try:
            validate(source)
        except Exception as exc:  # any load failure means the file is not what it claims
            raise WeightsVerificationError(f"{source}: not loadable as {spec.name} weights ({exc})") from exc
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(spec.path) as tmp:
        if move:
            shutil.move(str(source), tmp)
        else:
            shutil.copyfile(source, tmp)
    return spec.path


def import_file(spec: WeightsSpec, source: Path, validate: Callable[[Path], None] | None = None) -> Path:
    """Install a weights file obtained elsewhere (offline machines), after checking it."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such file")
    return _install(spec, source, validate, move=False)


def download_steps(
    spec: WeightsSpec,
    validate: Callable[[Path], None] | None = None,
    timeout: float = 15.0,
    cancel: threading.Event | None = None,
) -> Generator[Progress, None, Path]:
    """Fetch into the cache, verify, then move into place, yielding Progress in bytes (the GUI shows
    it); cancellable between blocks. Explicit request only: nothing else ever downloads."""
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=spec.path.parent, prefix=".download-")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            response = urllib.request.urlopen(spec.url, timeout=timeout)
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectionError(f"{spec.name}: cannot download {spec.url}: {exc}") from exc
        total = int(response.headers.get("Content-Length") or spec.size_bytes)
        done = 0
        with open(tmp, "wb") as out, response:
            while block := response.read(1 << 20):
                check_cancel(cancel)
                out.write(block)
                done += len(block)
                yield Progress(Stage.DOWNLOAD, done, max(total, done), f"{spec.name}: {done / 1e6:.0f} MB")
        yield Progress(Stage.DOWNLOAD, done, max(total, done), f"{spec.name}: verifying")
        return _install(spec, tmp, validate, move=True)
    finally:
        if tmp.exists():
            tmp.unlink()


def download(
    spec: WeightsSpec,
    validate: Callable[[Path], None] | None = None,
    progress: bool = True,
    timeout: float = 15.0,
) -> Path:
    """download_steps with a tqdm progress bar on stderr (the CLI's `models download`)."""
    from tqdm import tqdm

    steps = download_steps(spec, validate, timeout)
    with tqdm(total=spec.size_bytes, unit="B", unit_scale=True, desc=spec.name, disable=not progress) as bar:
        while True:
            try:
                step = next(steps)
            except StopIteration as stop:
                return Path(stop.value)
            bar.total, bar.n = step.total, step.done
            bar.refresh()
