"""Tests ranker/export/plan.py: where each file goes, collisions, dry runs, what is refused before anything moves."""

from __future__ import annotations

import shutil

import pytest

from ranker.export import ExportItem, plan_export
from ranker.export.embed import same_image
from ranker.xmp import read_xmp
from tests.ranker.export.helpers import DATA, PICK, make_jpeg, make_pair, make_raw, run, snapshot


def test_dry_run_describe_touches_nothing(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "not-yet"
    before = snapshot(tmp_path)
    plan = plan_export(items, dest, mode="move")
    text = plan.describe()
    assert snapshot(tmp_path) == before and not dest.exists()
    assert "move" in text and "IMG_0001.CR2" in text and "IMG_0001.JPG.xmp" in text and "will be created" in text
    assert "nothing has been written" in text
    assert {op.kind for op in plan.ops} == {"photo", "sidecar", "xmp"}


def test_rerun_resumes_without_duplicates(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "out"
    run(plan_export(items, dest))
    first = snapshot(dest)
    plan = plan_export(items, dest)
    assert {op.status for op in plan.ops if op.kind == "photo"} == {"exists"}
    report = run(plan)
    assert snapshot(dest) == first
    assert not report.copied and not report.failed


def test_collision_suffix_keeps_pair_and_sidecars_on_one_stem(shoot, tmp_path):
    src, items = shoot
    dest = tmp_path / "out"
    dest.mkdir()
    make_raw(dest / "IMG_0001.CR2", 99)  # a different photo already has the name
    (dest / "IMG_0001-1.xmp").write_bytes(b"stray sidecar")  # and a stray sidecar blocks -1
    before = snapshot(dest)
    plan = plan_export(items, dest)
    photo_dests = [op.dest.name for op in plan.ops if op.item == 0]
    assert (
        photo_dests
        == [
            "IMG_0001-2.CR2",
            "IMG_0001-2.JPG",
            "IMG_0001-2.xmp",
            "IMG_0001-2.JPG.xmp",
            "IMG_0001-2.xmp",
            "IMG_0001-2.JPG.xmp",
        ][: len(photo_dests)]
    )
    assert {op.status for op in plan.ops if op.item == 0 and op.kind != "xmp"} == {"renamed"}
    run(plan)
    for name, value in before.items():
        assert snapshot(dest)[name] == value  # nothing there was overwritten
    assert (dest / "IMG_0001-2.CR2").read_bytes() == (src / "IMG_0001.CR2").read_bytes()
    assert read_xmp(dest / "IMG_0001-2.xmp")[0] == PICK
    assert read_xmp(dest / "IMG_0001-2.JPG.xmp")[0] == PICK
    assert (dest / "IMG_0002.JPG").exists()


def test_same_name_from_two_folders_in_one_plan(tmp_path):
    a = make_jpeg((tmp_path / "a").mkdir() or tmp_path / "a" / "IMG_1.JPG", 1)
    b = make_jpeg((tmp_path / "b").mkdir() or tmp_path / "b" / "IMG_1.JPG", 2)
    dest = tmp_path / "out"
    run(plan_export([ExportItem((a,), 1, 1, 0.5, PICK), ExportItem((b,), 1, 2, 0.4, PICK)], dest))
    assert same_image((dest / "IMG_1.JPG").read_bytes(), a.read_bytes())
    assert same_image((dest / "IMG_1-1.JPG").read_bytes(), b.read_bytes())
    assert read_xmp(dest / "IMG_1-1.xmp")[1].rank == 2


def test_collision_skip(shoot, tmp_path):
    _, items = shoot
    dest = tmp_path / "out"
    dest.mkdir()
    make_raw(dest / "IMG_0001.JPG", 7)
    before = snapshot(dest)
    plan = plan_export(items, dest, on_collision="skip")
    assert "skip" in plan.describe()
    report = run(plan)
    assert snapshot(dest)["IMG_0001.JPG"] == before["IMG_0001.JPG"]
    assert not (dest / "IMG_0001.CR2").exists() and not (dest / "IMG_0001.xmp").exists()
    assert {e.source.name for e in report.skipped} >= {"IMG_0001.CR2", "IMG_0001.JPG"}
    assert all("IMG_0001.JPG already exists" in e.detail for e in report.skipped)
    assert (dest / "IMG_0002.JPG").exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        plan_export([], tmp_path, mode="teleport")
    with pytest.raises(ValueError):
        plan_export([], tmp_path, on_collision="overwrite")
    with pytest.raises(ValueError):
        plan_export([ExportItem((), 1, 1, 0.1, PICK)], tmp_path)


@pytest.mark.parametrize("mode", ["copy", "link"])
def test_a_copy_into_the_source_folder_is_refused_and_a_sub_folder_works(shoot, mode):
    """A copy beside its original would be a renamed duplicate (ac_0-1.JPG) that the next rank takes for
    a new photo of the shoot: refused before anything is touched. A Selects sub-folder is the usual place."""
    src, items = shoot
    before = {p.name: p.read_bytes() for p in src.iterdir() if p.is_file()}
    with pytest.raises(ValueError, match="is the folder the photos are in"):
        plan_export(items, src, mode=mode)
    assert {p.name: p.read_bytes() for p in src.iterdir() if p.is_file()} == before
    report = run(plan_export(items, src / "Selects", mode=mode))
    assert not report.failed
    for name, content in before.items():
        copied = src / "Selects" / name
        if name.endswith(".xmp"):
            continue
        assert copied.read_bytes() == content or (mode == "copy" and same_image(copied.read_bytes(), content))
        assert (src / name).read_bytes() == content  # the original stays as it was


@pytest.mark.parametrize("inside", [False, True])
def test_move_into_the_source_folder_is_refused_before_anything_is_touched(shoot, inside):
    """Moving a folder's photos into itself would only rename every original (ac_0.JPG → ac_0-1.JPG)."""
    src, items = shoot
    before = sorted(p.name for p in src.iterdir())
    dest = src / "selects" if inside else src
    with pytest.raises(ValueError, match="folder the photos are in"):
        plan_export(items, dest, mode="move")
    assert sorted(p.name for p in src.iterdir()) == before


def test_a_destination_that_is_a_file_is_one_clear_error(shoot, tmp_path):
    _, items = shoot
    (tmp_path / "dest").write_bytes(b"not a folder")
    with pytest.raises(ValueError, match="not a folder"):
        plan_export(items, tmp_path / "dest", mode="copy")


def test_darktable_duplicates_sidecars_travel_untouched(tmp_path):
    src = tmp_path / "src"
    raw, _jpg = make_pair(src, "IMG_5952", 7)
    shutil.copy(DATA / "darktable.xmp", src / "IMG_5952.CR2.xmp")
    shutil.copy(DATA / "darktable.xmp", src / "IMG_5952_01.CR2.xmp")  # darktable's duplicate version 1
    (src / "IMG_5952_x1.CR2.xmp").write_bytes(b"not a duplicate")  # only _NN counts
    duplicate = (src / "IMG_5952_01.CR2.xmp").read_bytes()
    dest = tmp_path / "out"
    (dest).mkdir()
    make_raw(dest / "IMG_5952.CR2", 99)  # a name collision: everything moves to the -1 stem together
    report = run(plan_export([ExportItem((raw,), 1, 1, 0.9, PICK)], dest, sidecar_style="darktable"))
    assert report.ok
    assert (dest / "IMG_5952-1_01.CR2.xmp").read_bytes() == duplicate
    assert read_xmp(dest / "IMG_5952-1.CR2.xmp")[0] == PICK
    assert not (dest / "IMG_5952-1_x1.CR2.xmp").exists()
