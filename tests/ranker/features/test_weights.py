"""Weights cache (ranker/features/weights.py): download (urlopen served from memory, never the network),
verification, import, and that a failure never leaves a partial or temporary file in the cache."""

from __future__ import annotations

import hashlib
import io
import time
import urllib.error
import urllib.request
import urllib.response
from pathlib import Path

import pytest

from ranker.features.weights import (
    ModelMissingError,
    WeightsVerificationError,
    download,
    import_file,
    sha256_of,
    verify,
)
from tests.ranker.features.tiny_models import fake_weights

PAYLOAD = b"tiny weights " * 100_000  # 1.3 MB: more than one 1 MiB read block
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()
OLD = b"the weights that were already cached"


def models_dir_listing(spec) -> list[str]:
    folder = spec.path.parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def serve(monkeypatch, body: bytes, *, content_length: bool = True, fail_after: int | None = None) -> list[dict]:
    """Make urllib.request.urlopen answer from memory; returns the calls it received."""
    calls = []

    class Stream(io.BytesIO):
        def read(self, size=-1):
            if fail_after is not None and self.tell() >= fail_after:
                raise ConnectionResetError("connection reset by peer")
            return super().read(size)

    def fake_urlopen(url, *args, **kwargs):
        calls.append({"url": url, **kwargs})
        headers = {"Content-Length": str(len(body))} if content_length else {}
        return urllib.response.addinfourl(Stream(body), headers, url, 200)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


def unreachable(monkeypatch) -> list[float]:
    calls = []

    def fake_urlopen(url, *args, **kwargs):
        calls.append(kwargs.get("timeout"))
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


@pytest.mark.parametrize(
    "digest", [{"sha256": DIGEST}, {"sha256_prefix": DIGEST[:8]}, {}], ids=["full", "prefix", "none"]
)
@pytest.mark.parametrize("content_length", [True, False])
def test_download_verifies_and_moves_into_the_cache(monkeypatch, digest, content_length):
    spec = fake_weights("toy", "toy.bin", **digest)
    calls = serve(monkeypatch, PAYLOAD, content_length=content_length)
    validated = []
    path = download(spec, validate=validated.append, progress=False)
    assert path == spec.path and path.read_bytes() == PAYLOAD
    assert calls[0]["url"] == spec.url and calls[0]["timeout"] > 0  # never an unbounded wait
    assert len(validated) == 1 and validated[0] != spec.path  # checked before it was put in place
    assert models_dir_listing(spec) == ["toy.bin"]  # no temp file left
    assert spec.is_cached() and spec.require() == spec.path


def test_download_with_a_progress_bar(monkeypatch, capsys):
    spec = fake_weights("toy", "toy.bin", sha256=DIGEST)
    serve(monkeypatch, PAYLOAD)
    download(spec)
    assert "toy" in capsys.readouterr().err


@pytest.mark.parametrize("digest", [{"sha256": "0" * 64}, {"sha256_prefix": "deadbeef"}], ids=["full", "prefix"])
@pytest.mark.parametrize("already_cached", [False, True])
def test_checksum_mismatch_leaves_nothing_behind(monkeypatch, digest, already_cached):
    spec = fake_weights("toy", "toy.bin", **digest)
    if already_cached:
        spec.path.parent.mkdir(parents=True, exist_ok=True)
        spec.path.write_bytes(OLD)
    serve(monkeypatch, PAYLOAD)
    with pytest.raises(WeightsVerificationError, match="sha256"):
        download(spec, progress=False)
    if already_cached:
        assert models_dir_listing(spec) == ["toy.bin"] and spec.path.read_bytes() == OLD
    else:
        assert models_dir_listing(spec) == []
        assert not spec.is_cached()


def test_file_that_does_not_load_is_refused(monkeypatch):
    spec = fake_weights("toy", "toy.bin")

    def validate(path: Path) -> None:
        raise ValueError("missing tensors ['fc.weight']")

    serve(monkeypatch, PAYLOAD)
    with pytest.raises(WeightsVerificationError, match="not loadable as toy weights.*fc.weight"):
        download(spec, validate=validate, progress=False)
    assert models_dir_listing(spec) == []


def test_unreachable_url_raises_connection_error_promptly(monkeypatch):
    spec = fake_weights("toy", "toy.bin")
    timeouts = unreachable(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="toy: cannot download https://weights.invalid/toy.bin"):
        download(spec, progress=False)
    assert time.perf_counter() - start < 1.0
    assert len(timeouts) == 1 and timeouts[0] > 0  # one attempt, with a timeout
    assert models_dir_listing(spec) == []


def test_connection_lost_mid_download_leaves_no_partial_file(monkeypatch):
    spec = fake_weights("toy", "toy.bin")
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    spec.path.write_bytes(OLD)
    serve(monkeypatch, PAYLOAD, fail_after=1 << 20)
    with pytest.raises(ConnectionError):
        download(spec, progress=False)
    assert models_dir_listing(spec) == ["toy.bin"] and spec.path.read_bytes() == OLD


def test_blocked_network_is_never_reached(monkeypatch):
    """Sanity check of the suite's guard: without the fake, a download fails instead of fetching."""
    spec = fake_weights("toy", "toy.bin")
    with pytest.raises(Exception) as info:
        download(spec, progress=False)
    assert type(info.value).__name__ == "NetworkBlocked"  # tests/conftest.py refused the connection
    assert models_dir_listing(spec) == []


# --- import_file ---------------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "elsewhere" / "weights.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


@pytest.mark.parametrize("already_cached", [False, True])
def test_import_accepts_a_good_file(source, already_cached):
    spec = fake_weights("toy", "toy.bin", sha256_prefix=DIGEST[:8])
    if already_cached:
        spec.path.parent.mkdir(parents=True, exist_ok=True)
        spec.path.write_bytes(OLD)
    seen = []
    assert import_file(spec, source, validate=seen.append) == spec.path
    assert seen == [source]
    assert spec.path.read_bytes() == PAYLOAD
    assert source.read_bytes() == PAYLOAD  # copied, the user's file stays where it was
    assert models_dir_listing(spec) == ["toy.bin"]


@pytest.mark.parametrize("problem", ["wrong digest", "wrong prefix", "does not load"])
def test_import_refuses_a_bad_file_without_touching_the_cache(source, problem):
    digest = {"wrong digest": {"sha256": "f" * 64}, "wrong prefix": {"sha256_prefix": "00000000"}}.get(problem, {})
    spec = fake_weights("toy", "toy.bin", **digest)
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    spec.path.write_bytes(OLD)
    before = spec.path.stat().st_mtime_ns

    def validate(path: Path) -> None:
        raise RuntimeError("Error(s) in loading state_dict")

    with pytest.raises(WeightsVerificationError):
        import_file(spec, source, validate=validate)
    assert spec.path.read_bytes() == OLD and spec.path.stat().st_mtime_ns == before
    assert models_dir_listing(spec) == ["toy.bin"]
    assert source.read_bytes() == PAYLOAD


def test_import_of_a_missing_file(tmp_path):
    spec = fake_weights("toy", "toy.bin")
    with pytest.raises(FileNotFoundError):
        import_file(spec, tmp_path / "nope.bin")
    with pytest.raises(FileNotFoundError):
        import_file(spec, tmp_path)  # a directory is not a weights file
    assert models_dir_listing(spec) == []


# --- spec, require, verify -----------------------------------------------------------------------------


def test_require_names_the_commands_that_fix_it(app_dirs):
    spec = fake_weights("toy", "toy.bin", size_bytes=605_000_000)
    assert spec.path == app_dirs / "cache" / "models" / "toy.bin"  # the per-test cache, never the user's
    with pytest.raises(ModelMissingError) as info:
        spec.require()
    message = str(info.value)
    assert "phototriage models download toy" in message and "605 MB" in message
    assert "phototriage models import toy FILE" in message and str(spec.path) in message


def test_an_empty_file_is_not_cached_weights():
    spec = fake_weights("toy", "toy.bin")
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    spec.path.write_bytes(b"")
    assert not spec.is_cached()
    with pytest.raises(ModelMissingError):
        spec.require()


def test_verify(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(PAYLOAD)
    assert sha256_of(path) == DIGEST
    assert verify(fake_weights("toy", "toy.bin", sha256=DIGEST, sha256_prefix=DIGEST[:8]), path) == DIGEST
    assert verify(fake_weights("toy", "toy.bin"), path) == DIGEST
    with pytest.raises(WeightsVerificationError, match="does not match"):
        verify(fake_weights("toy", "toy.bin", sha256=DIGEST[::-1]), path)
    with pytest.raises(WeightsVerificationError, match="published prefix 11ad3fa6"):
        verify(fake_weights("toy", "toy.bin", sha256_prefix="11ad3fa6"), path)


def test_download_steps_report_bytes_and_can_be_cancelled(monkeypatch):
    import threading

    from ranker.features.weights import download_steps
    from ranker.progress import Cancelled

    spec = fake_weights("toy", "toy.bin", sha256=DIGEST)
    serve(monkeypatch, PAYLOAD)
    steps = list(download_steps(spec))
    assert [s.done for s in steps][:2] == [1 << 20, len(PAYLOAD)] and steps[-1].total == len(PAYLOAD)
    assert spec.path.read_bytes() == PAYLOAD

    spec.path.unlink()
    serve(monkeypatch, PAYLOAD)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        list(download_steps(spec, cancel=cancel))
    assert not spec.is_cached() and models_dir_listing(spec) == []
