"""`phototriage models` (ranker/cli/commands/models.py): listing offline, explicit download, import with checks.
(Here rather than under tests/ranker/cli/commands/ because it exercises the feature registry and weights cache.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ranker.cli.main import main
from ranker.features.descriptor import DescriptorExtractor
from ranker.features.registry import ExtractorSpec, all_specs, get_spec
from tests.ranker.features.tiny_models import REPO, fake_weights, save_state, tiny_resnet


@pytest.fixture
def offline(monkeypatch):
    """urlopen fails as it does on a machine without network (URLError), and counts its calls."""
    calls = []

    def fake_urlopen(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


@pytest.fixture(scope="module")
def tiny_resnet_file(tmp_path_factory):
    return save_state(tiny_resnet().state_dict(), tmp_path_factory.mktemp("tiny") / "resnet50-download.pth")


def models_files():
    folder = get_spec("clip").weights.path.parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_list_shows_every_model_with_status_size_path_and_licence(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for spec in all_specs():
        row = next(line for line in lines if line.split()[:1] == [spec.name])
        assert spec.licence in row
        assert str(spec.dim) in row.split()
        if spec.weights:
            assert "missing" in row.split()
            assert f"{spec.weights.size_bytes / 1e6:.0f} MB" in row
            assert str(spec.weights.path) in row
            assert f"fix: phototriage models download {spec.name}" in out
        else:
            assert "ready" in row.split() and "built in (no weights)" in row
            assert f"models download {spec.name}" not in out
    assert "605 MB" in out and "103 MB" in out
    assert "pyiqa:<metric>" in out


def test_list_keeps_its_columns_for_the_longest_name(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0]
    rows = [line for line in lines if line.split()[:1] in ([spec.name] for spec in all_specs())]
    dim_end = header.index("dim") + len("dim")
    status_at = header.index("status")
    for row in rows:
        name = row.split()[0]
        assert row[:dim_end].split() == [name, str(get_spec(name).dim)]
        assert row[dim_end] == " " and row[status_at:].split()[0] in ("ready", "missing")


def test_list_shows_a_cached_model_as_ready(capsys):
    weights = get_spec("clip").weights
    weights.path.parent.mkdir(parents=True, exist_ok=True)
    weights.path.write_bytes(b"x")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("clip "))
    assert "ready" in row.split()
    assert "models download clip" not in out and "models download cnn" in out


@pytest.mark.timeout(60)
def test_models_command_in_a_fresh_process_loads_no_backbone(app_dirs):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ranker", "models"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
    )
    elapsed = time.perf_counter() - start
    print(f"`python -m ranker models` answered in {elapsed:.2f} s")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "clip" in result.stdout and str(app_dirs / "cache") in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    # listing must not pay for the heavy libraries (open_clip ~6 s, pyiqa ~5 s, PySide6)
    assert not {"open_clip", "pyiqa", "PySide6"} & imported


def test_download_offline_fails_clearly(offline, capsys):
    assert main(["models", "download", "clip"]) != 0
    err = capsys.readouterr().err
    assert offline == [get_spec("clip").weights.url]
    assert "clip: download failed" in err and "cannot download" in err
    assert "phototriage models import clip FILE" in err and get_spec("clip").weights.url in err
    assert models_files() == []


def test_download_everything_missing_offline_tries_each_once(offline, capsys):
    assert main(["models", "download"]) != 0
    err = capsys.readouterr().err
    assert sorted(offline) == sorted([get_spec("clip").weights.url, get_spec("cnn").weights.url])
    assert "models import clip FILE" in err and "models import cnn FILE" in err
    assert models_files() == []


def test_download_of_a_cached_model_does_nothing(offline, capsys):
    weights = get_spec("cnn").weights
    weights.path.parent.mkdir(parents=True, exist_ok=True)
    weights.path.write_bytes(b"x")
    assert main(["models", "download", "cnn"]) == 0
    assert "cnn: already cached" in capsys.readouterr().out and offline == []
    assert main(["models", "download", "pyiqa:piqe"]) == 0
    assert offline == []


def test_download_of_an_unknown_model_is_a_clear_error(offline, capsys):
    assert main(["models", "download", "clp"]) != 0
    assert "Did you mean 'clip'?" in capsys.readouterr().err


def test_import_refuses_a_file_that_is_not_the_published_cnn(tiny_resnet_file, capsys):
    assert main(["models", "import", "cnn", str(tiny_resnet_file)]) != 0
    err = capsys.readouterr().err
    assert "does not start with the published prefix 11ad3fa6" in err
    assert models_files() == [] and not get_spec("cnn").is_ready()
    assert tiny_resnet_file.exists()


def test_import_refusal_keeps_the_cached_file(tiny_resnet_file, capsys):
    weights = get_spec("cnn").weights
    weights.path.parent.mkdir(parents=True, exist_ok=True)
    weights.path.write_bytes(b"the real weights")
    assert main(["models", "import", "cnn", str(tiny_resnet_file)]) != 0
    assert weights.path.read_bytes() == b"the real weights" and models_files() == [weights.filename]


@pytest.mark.parametrize(
    "args, message",
    [
        (["models", "import", "clp", "x.pth"], "Did you mean 'clip'?"),
        (["models", "import", "iqa", "x.pth"], "iqa has no weights file to import"),
        (["models", "import", "clip", "/nonexistent/x.safetensors"], "no such file"),
    ],
)
def test_import_errors_are_messages(args, message, capsys):
    assert main(args) != 0
    assert message in capsys.readouterr().err


def test_import_installs_a_good_file(tiny_resnet_file, isolated_registry, tmp_path, capsys):
    """A spec without a published digest: the validator alone decides; a bad file is refused."""
    cnn = get_spec("cnn")
    weights = fake_weights("toycnn", "toy-resnet.pth")
    isolated_registry.register(
        ExtractorSpec(
            "toycnn",
            256,
            "toy",
            "test-only",
            lambda device: DescriptorExtractor(),
            weights=weights,
            validate=cnn.validate,
        )
    )
    not_weights = tmp_path / "notes.pth"
    not_weights.write_bytes(b"not a checkpoint")
    assert main(["models", "import", "toycnn", str(not_weights)]) != 0
    assert "not loadable as toycnn weights" in capsys.readouterr().err and not weights.is_cached()

    assert main(["models", "import", "toycnn", str(tiny_resnet_file)]) == 0
    assert f"installed {tiny_resnet_file}" in capsys.readouterr().out
    assert weights.path.read_bytes() == tiny_resnet_file.read_bytes()
    assert main(["models"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("toycnn "))
    assert "ready" in row.split() and str(weights.path) in row


def test_downloaded_file_is_verified_and_installed(tiny_resnet_file, isolated_registry, monkeypatch, capsys):
    """`models download` end to end with the file served from disk instead of the network."""
    import urllib.response

    weights = fake_weights("toycnn", "toy-resnet.pth")
    isolated_registry.register(
        ExtractorSpec(
            "toycnn",
            256,
            "toy",
            "test-only",
            lambda device: DescriptorExtractor(),
            weights=weights,
            validate=get_spec("cnn").validate,
        )
    )

    def fake_urlopen(url, *args, **kwargs):
        assert url == weights.url
        return urllib.response.addinfourl(open(tiny_resnet_file, "rb"), {}, url, 200)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    assert main(["models", "download", "toycnn"]) == 0
    assert f"toycnn: saved to {weights.path}" in capsys.readouterr().out
    assert weights.path.read_bytes() == tiny_resnet_file.read_bytes()
    assert sorted(p.name for p in weights.path.parent.iterdir()) == ["toy-resnet.pth"]
