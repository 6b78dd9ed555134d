"""Viewer latency: from a key press to the next photo painted (cold and prefetched), and to sharp 100% pixels."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from benchmarks.common import command_line, in_work_dir, markdown_table, write_json

SHARED = Path(
    os.environ.get("PHOTOTRIAGE_SHARED_PHOTOS")
    or next(
        (p / "shared" / "photos" for p in Path(__file__).resolve().parents[1:4] if (p / "shared").is_dir()),
        Path("shared/photos"),
    )
)
SOURCE_JPEG = SHARED / "burst_pairs" / "ac_0.JPG"
RAW = SHARED / "raw" / "IMG_5952.CR2"
MP24 = (6000, 4000)


JPEG_KIND = "24 MP JPEG"
RAW_KIND = "CR2 (8 MP, 1728 px embedded JPEG)"


def make_photos(folder: Path, count: int) -> dict[str, Path]:
    """`count` 24 MP JPEGs (a shared photo upscaled, each a little different) and `count` copies of the CR2."""
    from PIL import Image, ImageEnhance

    jpegs, raws = folder / "jpeg24", folder / "raw"
    jpegs.mkdir(parents=True, exist_ok=True)
    raws.mkdir(parents=True, exist_ok=True)
    base = Image.open(SOURCE_JPEG).convert("RGB").resize(MP24, Image.Resampling.BICUBIC)
    for number in range(count):
        target = jpegs / f"IMG_{number:04d}.JPG"
        if not target.exists():
            ImageEnhance.Brightness(base).enhance(0.9 + 0.04 * number).save(target, quality=92)
        if RAW.is_file() and not (raws / f"IMG_{number:04d}.CR2").exists():
            shutil.copy(RAW, raws / f"IMG_{number:04d}.CR2")
    return {JPEG_KIND: jpegs, **({RAW_KIND: raws} if RAW.is_file() else {})}


class Harness:
    """The real window (views, cache, decode pool, prefetch) on a folder, ranking switched off so only
    the viewer uses the CPU; a paint hook timestamps when the loupe draws the photo."""

    def __init__(self, folder: Path, preview: int, data_dir: Path):
        from PySide6.QtWidgets import QApplication

        from phototriage_gui.main_window import MainWindow
        from ranker.store.catalog import Catalog

        self.app = QApplication.instance() or QApplication(["viewer-benchmark"])
        self.catalog = Catalog(data_dir / "catalog.db")
        self.window = MainWindow(catalog=self.catalog)
        self.window.session.start_ranking = lambda: None  # the viewer alone: decoding is what is measured
        self.window.cache.preview_size = preview
        self.window.resize(preview + 300, int(preview * 0.66) + 250)  # the loupe about as wide as the preview
        self.window.show()
        self.window.open_folder(folder)
        self.window.show_view("loupe")
        self.view = self.window.loupe.view
        settle = time.perf_counter() + 0.5  # the window tells the cache its view size after a resize settles
        self.wait(lambda: time.perf_counter() > settle)
        self.painted: dict[tuple[str, str], float] = {}
        paint = self.view.paintEvent

        def hooked(event):
            paint(event)
            key, cache = self.view.key, self.view.cache
            # a thumbnail standing in does not count: the preview (or the full image) must be drawn
            if key is not None and (cache.get(key, cache.preview_size) or cache.get(key, 0)) is not None:
                self.painted.setdefault((key, self.view.zoom_text()), time.perf_counter())

        self.view.paintEvent = hooked

    def wait(self, done, timeout: float = 30.0) -> None:
        deadline = time.perf_counter() + timeout
        while not done():
            if time.perf_counter() > deadline:
                raise TimeoutError("the viewer did not finish in time")
            self.app.processEvents()
            time.sleep(0.0005)

    def forget_images(self) -> None:
        from ranker.io import preview as core_preview

        self.wait(self.window.cache.idle)
        big = self.window.cache._lru["big"]  # previews and full images; the strip keeps its thumbnails
        big.items.clear()
        big.bytes = 0
        core_preview._renders.clear()

    def press(self, key) -> None:
        from PySide6.QtTest import QTest

        QTest.keyClick(self.window, key)

    def step_time(self, wanted: str) -> float:
        """Right arrow, then seconds until the loupe painted the next photo in state `wanted`
        ("fit": its preview; "100%": its full-resolution pixels)."""
        from PySide6.QtCore import Qt

        start = time.perf_counter()
        self.press(Qt.Key.Key_Right)
        key = self.window.session.current
        self.wait(lambda: (key, wanted) in self.painted, timeout=120)
        return self.painted[(key, wanted)] - start

    def close(self) -> None:
        self.wait(self.window.cache.idle)
        self.window.close()
        self.catalog.close()


def measure(folder: Path, preview: int, steps: int, data_dir: Path) -> dict:
    from PySide6.QtCore import Qt

    harness = Harness(folder, preview, data_dir)
    results = {}
    try:
        harness.wait(harness.window.cache.idle)
        for zoomed in (False, True):
            wanted = "100%" if zoomed else "fit"
            if zoomed:
                harness.press(Qt.Key.Key_Z)
                harness.wait(lambda: harness.view.zoom_text() == "100%")
            for prefetched in (False, True):
                harness.window.session.set_current(harness.window.session.shoot.photos[0].key)
                times = []
                original = harness.window._prefetch
                if not prefetched:
                    harness.window._prefetch = lambda: None  # each step finds nothing decoded ahead
                try:
                    for _ in range(steps):
                        if prefetched:
                            harness.wait(harness.window.cache.idle, timeout=120)  # the user looks: prefetch lands
                        else:
                            harness.forget_images()
                        harness.painted.clear()
                        times.append(harness.step_time(wanted))
                finally:
                    harness.window._prefetch = original
                label = f"{'100% sharp' if zoomed else 'next photo'}, {'prefetched' if prefetched else 'cold'}"
                results[label] = {
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "max_ms": round(max(times) * 1000, 1),
                    "runs": len(times),
                }
    finally:
        harness.close()
    return results


def decode_paths(jpeg: Path, sizes=(1600, 3072, None), repeats: int = 3) -> dict:
    """Median ms, in this process alone, of the viewer's decode (phototriage_gui.image_cache: libjpeg-turbo
    at a 1/2^n DCT scale straight into an RGB32 QImage, then Qt's smooth scale to `size`), of
    ranker.io.preview.render (the same DCT scale into a PIL image, a bilinear resize) and of the analysis
    decode (ranker.io.images: draft, then Lanczos to the exact size)."""
    from phototriage_gui.image_cache import FULL, _decode
    from ranker.io import images, preview

    found = {}
    for size in sizes:
        box = (size, size) if size else None
        paths = (
            ("display", lambda: _decode(jpeg, size or FULL, size or 3072, box)),
            ("pil", lambda: preview.render(jpeg, size)),
            ("lanczos", lambda: images.load_photo(jpeg, size)),
        )
        for name, fn in paths:
            fn()  # warm the page cache and imports
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            found[f"{name} @ {size or 'full'}"] = round(statistics.median(times) * 1000, 1)
    return found


def first_decision(work: Path, count: int = 300) -> dict:
    """Open a `count`-photo shoot never seen before and press P at once: seconds until the pick is on
    disk (read back through a second catalog connection), with the ranking running behind."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from phototriage_gui.main_window import MainWindow
    from ranker.store.catalog import Catalog

    folder = work / f"shoot{count}"
    sources = sorted((SHARED / "burst_pairs").glob("*.JPG"))
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        target = folder / f"IMG_{number:04d}.JPG"
        if not target.exists():
            shutil.copy(sources[number % len(sources)], target)
    app = QApplication.instance() or QApplication(["viewer-benchmark"])
    data = work / "data-first"
    data.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(data / "catalog.db")
    window = MainWindow(catalog=catalog)
    window.show()
    app.processEvents()
    start = time.perf_counter()
    window.open_folder(folder)
    opened = time.perf_counter() - start
    QTest.keyClick(window, Qt.Key.Key_P)
    key = window.session.current
    photo_id = window.session.shoot.by_key[key].photo_id
    with Catalog(data / "catalog.db") as reader:
        saved = reader.decision(photo_id).flag == "pick"
    decided = time.perf_counter() - start
    ranked = window.session.shoot.ranked
    window.close()
    catalog.close()
    return {
        "photos": count,
        "open_ms": round(opened * 1000, 1),
        "first_pick_on_disk_ms": round(decided * 1000, 1),
        "saved": saved,
        "ranked_by_then": ranked,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=5, help="key presses per condition")
    parser.add_argument("--previews", type=int, nargs="+", default=[1600, 3072])
    parser.add_argument("--work", type=Path, help="keep the generated photos here")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--first-only", action="store_true", help="only the 300-photo first decision and the decode paths"
    )
    parser.add_argument(
        "--formats", nargs="+", choices=("jpeg", "raw"), default=["jpeg", "raw"], help="which photos to step through"
    )
    parser.add_argument("--no-first", action="store_true", help="skip the 300-photo first decision")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not SOURCE_JPEG.is_file():
        raise SystemExit(f"{SOURCE_JPEG}: the shared photos are needed for this benchmark")

    def body(work: Path) -> dict:
        os.environ["PHOTOTRIAGE_DATA_DIR"] = str(work / "data")
        os.environ["PHOTOTRIAGE_CONFIG_DIR"] = str(work / "config")
        first = None if args.no_first else first_decision(work)
        print(f"first decision: {first}", flush=True)
        made = make_photos(work, args.steps + 2)
        decode = decode_paths(made[JPEG_KIND] / "IMG_0000.JPG")
        wanted = {{"jpeg": JPEG_KIND, "raw": RAW_KIND}[name] for name in args.formats}
        folders = {kind: folder for kind, folder in made.items() if kind in wanted}
        print(f"decode: {decode}", flush=True)
        if args.first_only:
            return {"first_decision": first, "decode": decode}
        rows, report = (
            [],
            {
                "command": command_line("benchmarks.viewer", argv),
                "load": os.getloadavg(),
                "results": {},
                "first_decision": first,
                "decode": decode,
            },
        )
        for kind, folder in folders.items():
            for preview in args.previews:
                data = work / f"data-{kind[:4]}-{preview}"
                data.mkdir(parents=True, exist_ok=True)
                found = measure(folder, preview, args.steps, data)
                report["results"][f"{kind} @ {preview}"] = found
                for label, value in found.items():
                    rows.append((kind, preview, label, value["median_ms"], value["max_ms"]))
                print(f"{kind} @ {preview}: {found}", flush=True)
        report["load_after"] = os.getloadavg()
        print(markdown_table(("photos", "preview px", "what is on screen", "median ms", "max ms"), rows))
        print(f"load average (1, 5, 15 min) before {report['load']}, after {report['load_after']}")
        write_json(args.json, report)
        return report

    in_work_dir(args.work, "viewer-bench-", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
