"""ranker/store/writeback.py: decisions reach the sidecars beside the originals, merged, batched, never the photo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from ranker.store.readback import sync_photo
from ranker.store.writeback import SidecarWriter, write_back
from ranker.xmp import read_xmp
from ranker.xmp.style import XmpStyle

DATA = Path(__file__).resolve().parents[2] / "data" / "xmp"
EXIFTOOL, EXIV2 = shutil.which("exiftool"), shutil.which("exiv2")


def _shoot(tmp_path, catalog, n=3):
    folder = tmp_path / "shoot"
    folder.mkdir()
    ids = {}
    for i in range(n):
        path = folder / f"IMG_{i}.CR2"
        path.write_bytes(os.urandom(2000))
        st = path.stat()
        ids[catalog.upsert_photo(f"fp{i}", 0.0, "file", {}, {}, [(path, st.st_size, st.st_mtime_ns)])] = path
    return folder, ids


def _writer(catalog, messages=None, **kw):
    return SidecarWriter(
        catalog,
        XmpStyle(),
        lambda pid: catalog.photo(pid).paths,
        (lambda level, text: messages.append(text)) if messages is not None else None,
        **kw,
    )


def test_every_decision_merged_into_the_sidecar_photos_untouched(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        _, ids = _shoot(tmp_path, catalog)
        photos = {p: p.read_bytes() for p in ids.values()}
        (pid0, p0), (pid1, p1), (pid2, p2) = ids.items()
        shutil.copy(DATA / "lightroom.xmp", p0.with_suffix(".xmp"))  # Lightroom's develop settings are there
        writer = _writer(catalog)
        writer.submit(pid0, Decision(None, 2, None))
        writer.submit(pid0, Decision("pick", 2, None))  # the latest decision wins within a batch
        writer.submit(pid1, Decision("reject"))
        writer.submit(pid2, Decision())  # nothing decided, nothing there: no file
        assert writer.close()
        assert read_xmp(p0.with_suffix(".xmp"))[0] == Decision("pick", 2, None)
        assert b"crs:Exposure2012" in p0.with_suffix(".xmp").read_bytes()
        assert read_xmp(p1.with_suffix(".xmp"))[0] == Decision("reject")
        assert not p2.with_suffix(".xmp").exists()
        assert {p: p.read_bytes() for p in ids.values()} == photos
        assert sync_photo(catalog, pid0, [p0]) is None  # what we wrote is not mistaken for another tool's edit


def test_other_existing_sidecars_are_kept_in_step(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        _, ids = _shoot(tmp_path, catalog, 1)
        ((pid, photo),) = ids.items()
        shutil.copy(DATA / "darktable.xmp", photo.with_name(photo.name + ".xmp"))
        write_back(catalog, {pid: Decision(None, 5, None)}, XmpStyle("adobe"))
        assert read_xmp(photo.with_suffix(".xmp"))[0] == Decision(None, 5, None)
        assert read_xmp(photo.with_name(photo.name + ".xmp"))[0] == Decision(None, 5, None)


def test_read_only_folder_says_so_once_and_keeps_the_catalog(tmp_path, monkeypatch):
    with Catalog(tmp_path / "c.db") as catalog:
        folder, ids = _shoot(tmp_path, catalog)
        from ranker.xmp import write as xmp_write

        def refuse(*_a, **_k):
            raise PermissionError(13, "Permission denied", str(folder))

        monkeypatch.setattr(xmp_write, "atomic_write_bytes", refuse)
        messages = []
        writer = _writer(catalog, messages=messages)
        for pid in ids:
            catalog.set_decision(pid, Decision("pick"))
            writer.submit(pid, Decision("pick"))
        assert writer.close()
        assert len(messages) == 1 and "read-only" in messages[0] and str(folder) in messages[0]
        assert all(catalog.decision(pid) == Decision("pick") for pid in ids)
        assert not list(folder.glob("*.xmp"))


def test_writes_are_off_the_calling_thread(tmp_path):
    with Catalog(tmp_path / "c.db") as catalog:
        _, ids = _shoot(tmp_path, catalog, 1)
        ((pid, _),) = ids.items()
        threads = []
        writer = SidecarWriter(
            catalog, XmpStyle(), lambda p: (threads.append(threading.current_thread()), catalog.photo(p).paths)[1]
        )
        writer.submit(pid, Decision(None, 1, None))
        assert writer.close()
        assert threads and threads[0] is not threading.current_thread()


@pytest.mark.skipif(EXIFTOOL is None or EXIV2 is None, reason="exiftool and exiv2 needed (CI installs both)")
@pytest.mark.parametrize("style", ["adobe", "darktable", "digikam"])
def test_exiftool_and_exiv2_read_the_same_values(tmp_path, style):
    with Catalog(tmp_path / "c.db") as catalog:
        _, ids = _shoot(tmp_path, catalog, 4)
        decisions = dict(
            zip(ids, [Decision("pick"), Decision("reject"), Decision(None, 4, "blue"), Decision("pick", 3, "red")])
        )
        write_back(catalog, decisions, XmpStyle(style))
        for pid, decision in decisions.items():
            photo = ids[pid]
            side = photo.with_suffix(".xmp") if style == "adobe" else photo.with_name(photo.name + ".xmp")
            tool = json.loads(
                subprocess.run(
                    [EXIFTOOL, "-j", "-n", "-XMP:Rating", "-XMP:Label", "-XMP-digiKam:PickLabel", str(side)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=60,
                ).stdout
            )[0]
            out = subprocess.run(
                [
                    EXIV2,
                    "-q",
                    "-K",
                    "Xmp.xmp.Rating",
                    "-K",
                    "Xmp.xmp.Label",
                    "-K",
                    "Xmp.digiKam.PickLabel",
                    "-Pkv",
                    "pr",
                    str(side),
                ],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            exiv = {
                line.split(None, 1)[0].split(".")[-1]: line.split(None, 1)[1].strip()
                for line in out.splitlines()
                if len(line.split(None, 1)) == 2
            }
            assert {k: str(v) for k, v in tool.items() if k != "SourceFile"} == exiv
            assert int(tool["Rating"]) == (
                -1 if decision.flag == "reject" else max(decision.rating, 1 if decision.flag == "pick" else 0)
            )
            if decision.flag == "reject":
                assert tool["PickLabel"] == 1
            if decision.flag == "pick" and style != "darktable":
                assert tool["Label"] == (decision.label or "green").capitalize()
