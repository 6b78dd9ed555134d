"""Tests ranker/export/run.py: copying selects with their sidecars and embedded XMP, cancel, a vanishing source."""

from __future__ import annotations

import threading

from ranker import export
from ranker.export import ExportItem, plan_export, run_export
from ranker.export.embed import same_image
from ranker.io import files
from ranker.xmp import Decision, RankInfo, embedded_decision, read_xmp
from tests.ranker.export.helpers import PICK, drain, make_pair, run, snapshot, temp_files, three_items


def test_copy_pair_with_sidecars(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "selects"
    before = snapshot(src)
    report = run(plan_export(items, dest))
    assert snapshot(src) == before  # originals: same bytes, same mtimes, sidecars untouched
    assert sorted(p.name for p in dest.iterdir()) == [
        "IMG_0001.CR2",
        "IMG_0001.JPG",
        "IMG_0001.JPG.xmp",
        "IMG_0001.xmp",
        "IMG_0002.JPG",
        "IMG_0002.xmp",
    ]
    assert (dest / "IMG_0001.CR2").read_bytes() == (src / "IMG_0001.CR2").read_bytes()
    for name, decision in (("IMG_0001.JPG", PICK), ("IMG_0002.JPG", Decision("reject", 0, None))):
        # The JPEG copies carry the decision inside (Lightroom reads no sidecar for a JPEG); the image is the same.
        assert same_image((src / name).read_bytes(), (dest / name).read_bytes())
        assert (dest / name).read_bytes() != (src / name).read_bytes()
        assert embedded_decision(dest / name) == decision
    for name in ("IMG_0001.CR2", "IMG_0001.JPG", "IMG_0002.JPG"):
        assert (dest / name).stat().st_mtime_ns == (src / name).stat().st_mtime_ns
    rank = RankInfo(3, 1, 0.91, "default-v1")
    assert read_xmp(dest / "IMG_0001.xmp") == (PICK, rank)
    assert read_xmp(dest / "IMG_0001.JPG.xmp") == (PICK, rank)
    assert read_xmp(dest / "IMG_0002.xmp") == (Decision("reject", 0, None), RankInfo(3, 2, 0.42, ""))
    # The travelling sidecars kept what Lightroom and darktable wrote.
    assert b'crs:Exposure2012="+0.35"' in (dest / "IMG_0001.xmp").read_bytes()
    assert b'darktable:operation="filmicrgb"' in (dest / "IMG_0001.JPG.xmp").read_bytes()
    assert len(report.copied) == 5 and not report.failed and not report.skipped
    assert len(report.sidecars_written) == 3
    assert "5 copied" in report.summary()
    assert not temp_files(dest)


def test_copy_without_sidecar_writing_keeps_sidecars_as_they_were(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "out"
    run(plan_export(items, dest, write_sidecars=False))
    assert (dest / "IMG_0001.xmp").read_bytes() == (src / "IMG_0001.xmp").read_bytes()
    assert (dest / "IMG_0001.JPG.xmp").read_bytes() == (src / "IMG_0001.JPG.xmp").read_bytes()
    assert not (dest / "IMG_0002.xmp").exists()


def test_darktable_style_sidecars(tmp_path):
    raw, jpg = make_pair(tmp_path / "src", "DSC_1", 5)
    dest = tmp_path / "out"
    run(plan_export([ExportItem((raw, jpg), 1, 1, 0.5, PICK)], dest, sidecar_style="darktable"))
    assert sorted(p.name for p in dest.iterdir()) == ["DSC_1.CR2", "DSC_1.CR2.xmp", "DSC_1.JPG", "DSC_1.JPG.xmp"]
    assert read_xmp(dest / "DSC_1.CR2.xmp")[0] == PICK


def test_source_vanishing_mid_export(tmp_path):
    src, items = three_items(tmp_path)
    dest = tmp_path / "out"
    gen = run_export(plan_export(items, dest))
    first = next(gen)
    assert first.done == 0
    step = next(gen)  # IMG_0.CR2 is done
    assert step.item.source.name == "IMG_0.CR2"
    (src / "IMG_2.JPG").unlink()
    _, report = drain(gen)
    assert [(e.source.name, e.detail) for e in report.failed] == [
        ("IMG_2.JPG", f"source vanished: {src / 'IMG_2.JPG'}")
    ]
    assert not (dest / "IMG_2.CR2").exists() and (src / "IMG_2.CR2").exists()
    assert (dest / "IMG_1.JPG").exists()


def test_cancel_between_photos(tmp_path):
    _, items = three_items(tmp_path)
    cancel = threading.Event()
    gen = run_export(plan_export(items, tmp_path / "out"), cancel=cancel)
    for p in gen:
        if isinstance(p.item, export.ReportEntry) and p.item.source.name == "IMG_0.JPG":
            cancel.set()
        if isinstance(p.item, export.ExportReport):
            report = p.item
    assert report.cancelled and "cancelled" in report.summary()
    assert len(report.copied) == 2 and {e.detail for e in report.skipped} == {"cancelled"}


def test_leftover_temp_files_are_cleaned(tmp_path):
    _, items = three_items(tmp_path)
    dest = tmp_path / "out"
    dest.mkdir()
    dead = dest / f"{files.TEMP_PREFIX}{2**22 + 1234}-abcdef.part"  # above any possible pid
    dead.write_bytes(b"half a photo")
    report = run(plan_export(items, dest))
    assert report.cleaned == [dead] and not dead.exists()
