"""What other tools read from our files: exiftool, exiv2 and darktable (headless, Xvfb) on sidecars and JPEG copies.

    python -m benchmarks.interop [--json FILE] [--work DIR] [--no-darktable]

For each sidecar style (adobe, darktable, digikam) a folder of JPEGs gets its decisions through the live
write-back path; a darktable-authored sidecar with two colour labels is merged into; the adobe folder is
exported (copies carry embedded XMP). Each file is then read by exiftool, exiv2 and, where installed,
darktable 4.2 (`darktable --library :memory: --luacmd`, under Xvfb when there is no display).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ranker.culling.pipeline import run
from ranker.decisions import Decision
from ranker.export import ExportItem, plan_export, run_export
from ranker.store.writeback import write_decision
from ranker.xmp import sidecar_path
from ranker.xmp.style import SIDECAR_STYLES, XmpStyle, express

CASES = (
    ("pick", Decision("pick")),
    ("pick 3★ red", Decision("pick", 3, "red")),
    ("reject", Decision("reject")),
    ("4★ blue", Decision(None, 4, "blue")),
    ("2★", Decision(None, 2, None)),
    ("yellow, no stars", Decision(None, 0, "yellow")),
)
# darktable wrote this sidecar (two labels: red and yellow); we then record 3 stars + red.
DARKTABLE_OWN = ("darktable's two labels kept", Decision(None, 3, "red"), ["red", "yellow"])

_LUA = """
local dt = require "darktable"
local out = io.open(%(out)s, "w")
for _, path in ipairs(%(files)s) do
  local ok, img = pcall(dt.database.import, path)
  if ok and img then
    local labels = {}
    for _, c in ipairs({"red", "yellow", "green", "blue", "purple"}) do
      if img[c] then table.insert(labels, c) end
    end
    out:write(path .. "\\t" .. tostring(img.rating) .. "\\t" .. table.concat(labels, ",") .. "\\n")
  else
    out:write(path .. "\\terror\\t" .. tostring(img) .. "\\n")
  end
end
out:close()
if not pcall(function() dt.control.quit() end) then os.exit(0) end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # Lua 5.4 reads a JSON string without \\u escapes


def _jpeg(path: Path, seed: int) -> Path:
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=90)
    return path


def expected(decision: Decision, style: XmpStyle) -> dict:
    """What each reader should see: xmp:Label is left out in darktable style (darktable would let it
    override its own list of labels), where darktable:colorlabels carries the colour."""
    e = express(decision, style)
    return {
        "rating": e.rating,
        "labels": [e.label] if e.label else [],
        "pick_label": e.pick_label,
        "xmp_label": e.label if style.sidecar != "darktable" else None,
    }


def exiftool_read(files: list[Path]) -> dict[str, dict] | None:
    tool = shutil.which("exiftool")
    if tool is None or not files:
        return None
    out = subprocess.run(
        [
            tool,
            "-j",
            "-n",
            "-XMP:Rating",
            "-XMP:Label",
            "-XMP-digiKam:PickLabel",
            "-XMP-darktable:ColorLabels",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    result = {}
    for row in json.loads(out):
        dt_labels = row.get("ColorLabels")
        result[row["SourceFile"]] = {
            "rating": row.get("Rating"),
            "label": row.get("Label"),
            "pick_label": row.get("PickLabel"),
            "colorlabels": dt_labels if isinstance(dt_labels, list) or dt_labels is None else [dt_labels],
        }
    return result


def exiv2_read(path: Path) -> dict | None:
    tool = shutil.which("exiv2")
    if tool is None:
        return None
    out = subprocess.run(
        [
            tool,
            "-q",
            "-K",
            "Xmp.xmp.Rating",
            "-K",
            "Xmp.xmp.Label",
            "-K",
            "Xmp.digiKam.PickLabel",
            "-Pkv",
            "pr",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    values = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        values[key.strip()] = value.strip()
    rating = values.get("Xmp.xmp.Rating")
    pick = values.get("Xmp.digiKam.PickLabel")
    return {
        "rating": int(rating) if rating not in (None, "") else None,
        "label": values.get("Xmp.xmp.Label"),
        "pick_label": int(pick) if pick not in (None, "") else None,
    }


def darktable_read(photos: list[Path], work: Path) -> tuple[dict[str, dict] | None, str]:
    """darktable's own reading of each photo (rating, colour labels), or None with the reason."""
    tool = shutil.which("darktable")
    if tool is None:
        return None, "darktable not installed (apt-get install -y darktable xvfb)"
    env = dict(os.environ)
    xvfb = None
    if not env.get("DISPLAY"):
        if shutil.which("Xvfb") is None:
            return None, "no display and no Xvfb"
        display = f":{90 + os.getpid() % 9}"
        xvfb = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env["DISPLAY"] = display
        time.sleep(1.5)
    try:
        conf = work / "darktable-config"
        conf.mkdir(parents=True, exist_ok=True)
        result_file = work / "darktable-read.tsv"
        script = work / "read.lua"
        files = "{" + ", ".join(_lua_string(str(p)) for p in photos) + "}"
        script.write_text(_LUA % {"out": _lua_string(str(result_file)), "files": files})
        command = [
            tool,
            "--library",
            ":memory:",
            "--configdir",
            str(conf),
            "--luacmd",
            f"local ok, e = pcall(dofile, {_lua_string(str(script))}) "
            "if not ok then io.stderr:write(tostring(e)) os.exit(3) end",
        ]
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace", timeout=120)
            why = f"exit {proc.returncode}: {proc.stderr[-300:]}"
        except subprocess.TimeoutExpired:  # e.g. a Lua error leaves darktable running with its window open
            why = "timed out after 120 s"
        if not result_file.exists():
            return None, f"darktable wrote no result ({why})"
        read = {}
        for line in result_file.read_text().splitlines():
            path, rating, labels = (line.split("\t") + ["", ""])[:3]
            read[path] = {
                "rating": None if rating == "error" else int(rating),
                "labels": [x for x in labels.split(",") if x],
            }
        return read, ""
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


def _version(tool: str, flag: str = "-ver") -> str:
    path = shutil.which(tool)
    if path is None:
        return "absent"
    out = subprocess.run([path, flag], capture_output=True, text=True, timeout=60)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip() and "WARNING" not in line]
    return lines[0].strip() if lines else "?"


def build(work: Path) -> list[dict]:
    """The files to read: one row per (style, case), plus darktable's own sidecar and the exported copies."""
    rows = []
    seed = 0
    for style_name in SIDECAR_STYLES:
        style = XmpStyle(style_name)
        folder = work / style_name
        folder.mkdir(parents=True)
        for i, (name, decision) in enumerate(CASES):
            photo = _jpeg(
                folder / f"{i}_{''.join(c for c in name if c.isascii() and c.isalnum())}.jpg", seed := seed + 1
            )
            write_decision(None, 0, (photo,), decision, style)
            rows.append(
                {
                    "style": style_name,
                    "case": name,
                    "photo": photo,
                    "file": sidecar_path(photo, style_name),
                    "expected": expected(decision, style),
                }
            )
    # A sidecar darktable wrote, with two colour labels, merged into in darktable style.
    folder = work / "darktable"
    photo = _jpeg(folder / "9_own.jpg", 99)
    fixture = Path(__file__).resolve().parents[1] / "tests" / "data" / "xmp" / "darktable.xmp"
    data = fixture.read_bytes().replace(b"<rdf:li>2</rdf:li>", b"<rdf:li>0</rdf:li>\n     <rdf:li>1</rdf:li>")
    sidecar_path(photo, "darktable").write_bytes(data)
    name, decision, labels = DARKTABLE_OWN
    write_decision(None, 0, (photo,), decision, XmpStyle("darktable"))
    rows.append(
        {
            "style": "darktable",
            "case": name,
            "photo": photo,
            "file": sidecar_path(photo, "darktable"),
            "expected": {"rating": 3, "labels": labels, "pick_label": None, "xmp_label": None},
        }
    )
    # The adobe folder exported as copies: each JPEG carries the same XMP inside.
    adobe = [r for r in rows if r["style"] == "adobe"]
    items = [
        ExportItem((r["photo"],), 1, i + 1, 0.5, decision) for i, (r, (_, decision)) in enumerate(zip(adobe, CASES))
    ]
    report = run(run_export(plan_export(items, work / "exported", xmp_style=XmpStyle("adobe"))))
    if not report.ok:
        raise RuntimeError(report.summary())
    for r in adobe:
        copy = work / "exported" / r["photo"].name
        rows.append(
            {"style": "JPEG copy (embedded)", "case": r["case"], "photo": copy, "file": copy, "expected": r["expected"]}
        )
    return rows


def _same(reading: dict | None, want: dict, darktable: bool = False) -> bool | None:
    if reading is None:
        return None
    if darktable:
        return reading["rating"] == (want["rating"] or 0) and sorted(reading["labels"]) == sorted(want["labels"])
    label = reading.get("label")
    return (
        reading["rating"] == want["rating"]
        and (label.lower() if label else None) == want["xmp_label"]
        and reading["pick_label"] == want["pick_label"]
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--no-darktable", action="store_true", help="skip darktable even where it is installed")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="phototriage-interop-"))
    if work.exists() and any(work.iterdir()):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    rows = build(work)
    ex = exiftool_read([r["file"] for r in rows])
    ev2 = {str(r["file"]): exiv2_read(r["file"]) for r in rows}  # before darktable, which rewrites sidecars
    if args.no_darktable:
        dt_read, dt_why = None, "skipped (--no-darktable)"
    else:
        dt_read, dt_why = darktable_read([r["photo"] for r in rows], work)
    table = []
    for r in rows:
        want = r["expected"]
        exif = ex.get(str(r["file"])) if ex is not None else None
        exiv = ev2[str(r["file"])]
        dtr = dt_read.get(str(r["photo"])) if dt_read is not None else None
        table.append(
            {
                "style": r["style"],
                "case": r["case"],
                "file": r["file"].name,
                "expected": want,
                "exiftool": exif,
                "exiv2": exiv,
                "darktable": dtr,
                "exiftool_ok": _same(exif, want),
                "exiv2_ok": _same(exiv, want),
                "darktable_ok": _same(dtr, want, darktable=True),
            }
        )
    results = {
        "tools": {
            "exiftool": _version("exiftool"),
            "exiv2": _version("exiv2", "--version"),
            "darktable": _version("darktable", "--version"),
        },
        "darktable_skipped": dt_why,
        "rows": table,
        "summary": {
            f"{tool} on {style}": f"{sum(1 for t in table if t['style'] == style and t[tool + '_ok'])}/"
            f"{sum(1 for t in table if t['style'] == style and t[tool + '_ok'] is not None)}"
            for tool in ("exiftool", "exiv2", "darktable")
            for style in dict.fromkeys(t["style"] for t in table)
        },
    }
    _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False) + "\n")
    return results


def _fmt(reading: dict | None, darktable: bool = False) -> str:
    if reading is None:
        return "—"
    if darktable:
        return f"{reading['rating']} {'+'.join(reading['labels']) or '-'}"
    return f"{reading['rating']} {reading.get('label') or '-'} {reading['pick_label']}"


def _print(results: dict) -> None:
    print(f"tools: {results['tools']}")
    if results["darktable_skipped"]:
        print(f"darktable: {results['darktable_skipped']}")
    print("| style | case | file | expected (rating label pick) | exiftool | exiv2 | darktable (rating labels) |")
    print("|---|---|---|---|---|---|---|")
    for t in results["rows"]:
        w = t["expected"]
        mark = {True: " ✓", False: " ✗", None: ""}
        print(
            f"| {t['style']} | {t['case']} | `{t['file']}` | {w['rating']} {'+'.join(w['labels']) or '-'} "
            f"{w['pick_label']} | {_fmt(t['exiftool'])}{mark[t['exiftool_ok']]} | {_fmt(t['exiv2'])}"
            f"{mark[t['exiv2_ok']]} | {_fmt(t['darktable'], True)}{mark[t['darktable_ok']]} |"
        )
    print(f"agreement: {results['summary']}")


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
