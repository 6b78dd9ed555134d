"""Fuzz: truncated, bit-flipped and mislabelled files of every supported format, through loading,
`rank` and export. Nothing may crash or hang; the pipeline must report exactly the files that cannot
be decoded and rank every other one.

The oracle for "bad" is load_photo itself at the pipeline's decode size: a damaged file that still
decodes (a lossy decoder shrugging off a flipped bit, a PNG wearing a .jpg name) is a good file, and
must then be ranked. Files that cannot possibly decode (empty, a few header bytes, text) must be bad.
"""

from __future__ import annotations

import hashlib
import io
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ranker.culling.pipeline import PipelineOptions, rank_shoot, run
from ranker.io.images import load_photo
from ranker.io.load_errors import ImageLoadError
from ranker.store.catalog import Catalog
from tests.synthetic_files import textured_image, write_dng, write_image

SEED = 20240601
DECODE_SIZE = 512  # what `rank` decodes at with the default feature set
FORMATS = (".jpg", ".png", ".tif", ".webp", ".heic", ".dng")


def _encode(suffix: str, index: int, tmp: Path) -> bytes:
    """A small valid file of the format, with content unique to `index` (no two files share a fingerprint)."""
    path = tmp / f"_src{index}{suffix}"
    if suffix == ".dng":
        w, h = 64 + 2 * (index % 7), 48 + 2 * (index % 5)
        write_dng(
            path, size=(w, h), capture_time=datetime(2024, 1, 1) + timedelta(seconds=index), model=f"Fuzz {index}"
        )
    else:
        write_image(path, textured_image((72 + index % 9, 48 + index % 7), seed=index))
    data = path.read_bytes()
    path.unlink()
    return data


def _flip_bits(data: bytes, rng: np.random.Generator, count: int) -> bytes:
    buf = bytearray(data)
    for pos in rng.integers(0, len(buf), size=count):
        buf[int(pos)] ^= 1 << int(rng.integers(0, 8))
    return bytes(buf)


def _dense_damage(data: bytes) -> bytes:
    buf = bytearray(data)
    for i in range(len(buf) // 4, len(buf), 37):
        buf[i] ^= 0x5A
    return bytes(buf)


def build_corpus(folder: Path, scratch: Path) -> tuple[dict[Path, str], set[Path]]:
    """Write the fuzz corpus into `folder`. Returns ({file: how it was made}, files that must be bad)."""
    rng = np.random.default_rng(SEED)
    made: dict[Path, str] = {}
    certainly_bad: set[Path] = set()
    counter = iter(range(10_000))

    def put(suffix: str, data: bytes, how: str, bad: bool = False) -> None:
        path = folder / f"f{next(counter):03d}{suffix}"
        path.write_bytes(data)
        made[path] = how
        if bad:
            certainly_bad.add(path)

    for suffix in FORMATS:
        for _ in range(2):
            put(suffix, _encode(suffix, len(made), scratch), f"valid {suffix}")
        for keep in rng.uniform(0.1, 0.95, size=3):
            data = _encode(suffix, len(made), scratch)
            put(suffix, data[: max(1, int(len(data) * keep))], f"{suffix} truncated to {keep:.0%}")
        data = _encode(suffix, len(made), scratch)
        put(suffix, data[: int(rng.integers(1, 24))], f"{suffix} cut inside its header", bad=True)
        for flips in (1, 8, 64):
            data = _encode(suffix, len(made), scratch)
            put(suffix, _flip_bits(data, rng, flips), f"{suffix} with {flips} flipped bit(s)")
        put(suffix, _dense_damage(_encode(suffix, len(made), scratch)), f"{suffix} densely corrupted")
    # Mislabelled: each format's bytes under every other format's extension.
    for real in FORMATS:
        for label in FORMATS:
            if real != label:
                put(label, _encode(real, len(made), scratch), f"{real} content named {label}")
    for suffix in FORMATS:
        put(suffix, b"", f"empty {suffix}", bad=True)
        put(suffix, f"not an image {suffix} {len(made)}\n".encode() * 20, f"text named {suffix}", bad=True)
    # Odd but valid geometry.
    for size in ((1, 1), (3, 2), (2000, 1)):
        buf = io.BytesIO()
        textured_image(size, seed=len(made)).save(buf, "PNG")
        put(".png", buf.getvalue(), f"valid {size[0]}x{size[1]} PNG")
    return made, certainly_bad


def classify(files: dict[Path, str]) -> tuple[set[Path], set[Path], dict[Path, str]]:
    """(good, bad, reasons) by load_photo at the pipeline's size; any other exception fails the test."""
    good, bad, reasons = set(), set(), {}
    for path, how in files.items():
        for size in (DECODE_SIZE, None):  # the full-size path must be just as safe
            started = time.monotonic()
            try:
                image, _meta = load_photo(path, max_size=size)
                assert image.mode == "RGB" and min(image.size) >= 1, how
                if size is not None:
                    assert max(image.size) <= size, how
                    good.add(path)
            except ImageLoadError as exc:
                assert exc.reason and str(path.name) in str(exc), how
                if size is not None:
                    bad.add(path)
                    reasons[path] = exc.reason
            except Exception as exc:  # pragma: no cover - the failure message is the point
                pytest.fail(f"load_photo({path.name}, max_size={size}) on {how} raised {type(exc).__name__}: {exc}")
            assert time.monotonic() - started < 10, f"{how} took too long to load"
    return good, bad, reasons


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-shoot")
    scratch = tmp_path_factory.mktemp("fuzz-scratch")
    files, certainly_bad = build_corpus(folder, scratch)
    good, bad, reasons = classify(files)  # loading is exercised here, once, and asserted on below
    return folder, files, certainly_bad, (good, bad, reasons)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(40)
def test_loading_never_crashes_and_header_damage_is_reported(corpus):
    _folder, files, certainly_bad, (good, bad, reasons) = corpus
    assert good | bad == set(files) and not good & bad
    assert certainly_bad <= bad, [files[p] for p in certainly_bad - bad]
    # The corpus must exercise both outcomes for every format, or it tests nothing.
    for suffix in FORMATS:
        assert any(p.suffix == suffix for p in good), f"no decodable {suffix} in the corpus"
        assert any(p.suffix == suffix for p in bad), f"no undecodable {suffix} in the corpus"
    assert all(reasons[p] for p in bad)


@pytest.mark.timeout(40)
def test_rank_reports_every_bad_file_and_ranks_every_good_one(corpus, tmp_path):
    folder, files, _certainly_bad, (good, bad, _reasons) = corpus
    digests = {p: _sha(p) for p in files}
    good_contents = [digests[p] for p in good]
    assert len(set(good_contents)) == len(good_contents), "corpus bug: two good files share their content"
    with Catalog(tmp_path / "catalog.db") as catalog:
        ranking = run(rank_shoot(folder, catalog, options=PipelineOptions(device="cpu")))
        errors = {Path(e.path): e.reason for e in ranking.errors}
        ranked = [Path(p.path) for burst in ranking.bursts for p in burst.photos]
        assert set(errors) == bad, {
            "bad files not reported": sorted(files[p] for p in bad - set(errors)),
            "good files reported as errors": sorted(f"{files[p]}: {errors[p]}" for p in set(errors) - bad),
        }
        assert all(isinstance(r, str) and r for r in errors.values())
        assert len(ranked) == len(set(ranked)) and set(ranked) == good, sorted(files[p] for p in good ^ set(ranked))
        assert ranking.stats["decoded"] == len(good)
        # A second run: every good photo from the cache, every bad one reported again.
        again = run(rank_shoot(folder, catalog, options=PipelineOptions(device="cpu")))
        assert {Path(e.path) for e in again.errors} == bad
        assert again.stats["cached"] == len(good) and again.stats["decoded"] == 0
    assert {p: _sha(p) for p in files} == digests, "rank changed a source file"


@pytest.mark.timeout(40)
def test_export_copies_every_file_whatever_its_content(corpus, tmp_path):
    export = pytest.importorskip("ranker.export")
    from ranker.xmp import Decision

    folder, files, _certainly_bad, _ = corpus
    digests = {p: _sha(p) for p in files}
    rng = np.random.default_rng(SEED + 1)
    flags = ("pick", "reject", None)
    items = [
        export.ExportItem(
            (p,),
            1 + i // 5,
            1 + i % 5,
            float(rng.normal()),
            Decision(flags[i % 3], int(rng.integers(0, 6)) if i % 3 != 1 else 0),
        )
        for i, p in enumerate(sorted(files))
    ]
    dest = tmp_path / "export"
    plan = export.plan_export(items, dest, mode="copy")
    report = run(export.run_export(plan))
    assert report.ok, report.summary()
    copied = {Path(e.source): Path(e.dest) for e in report.copied if e.kind == "photo"}
    assert set(copied) == set(files), report.summary()
    from ranker.export import can_embed, same_image

    for source, target in copied.items():
        # A JPEG/TIFF/HEIF copy may carry the decision in its own XMP: every other byte (every HEIF
        # item but the XMP one) is the original's.
        assert _sha(target) == digests[source] or (
            can_embed(target) and same_image(source.read_bytes(), target.read_bytes())
        ), f"export altered {files[source]}"
    assert {p: _sha(p) for p in files} == digests, "export changed a source file"
    assert len(report.sidecars_written) == len(files)
