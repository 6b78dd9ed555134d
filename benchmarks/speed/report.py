"""The speed benchmark's results as Markdown: decode, extractors, `rank` at each size, ratios, start-up."""

from __future__ import annotations

from benchmarks.common import describe_machine, markdown_table
from benchmarks.speed.decode import DECODE_SIZE


def report(results: dict) -> str:
    lines = [
        "## Speed and scaling",
        "",
        f"Machine: {describe_machine(results['machine'])}",
        f"Command: `{results['command']}`",
        f"Photos: {results['photos']}",
        "",
    ]
    dec = results["decode"]
    rows = []
    for name, data in dec.items():
        if name == "thumbnails":
            continue
        if "error" in data:
            rows.append([name, "–", "–", data["error"]])
            continue
        mp = data.get("mean_megapixels", data.get("megapixels"))
        rows.append(
            [
                name,
                f"{data['full']['ms_per_photo']:.1f}",
                f"{data['reduced_512']['ms_per_photo']:.1f}",
                f"{mp:.1f} MP, {data.get('mean_bytes', data.get('bytes')) / 1e6:.2f} MB",
            ]
        )
    lines += [
        "Decode time per photo (ms, median; one thread):",
        "",
        markdown_table(["file", "full size", f"reduced ({DECODE_SIZE} px)", "file"], rows),
        "",
    ]
    lines.append(
        "Thumbnails (256 px): "
        + ", ".join(f"{t['photos_per_s']:.0f}/s with {t['threads']} thread(s)" for t in dec["thumbnails"])
    )
    rows = [
        [
            name,
            f"{d['photos_per_s']:.1f}",
            f"{d['ms_per_photo']:.1f}",
            d["batch"],
            d["decode_size"],
            d["threads"],
            d["device"],
        ]
        for name, d in results["extractors"].items()
    ]
    rows += [[name, why, "–", "–", "–", "–", "–"] for name, why in results["extractors_skipped"].items()]
    lines += [
        "",
        "Extractors (on pre-decoded images; iqa, noise and clipping share one pass in `rank`):",
        "",
        markdown_table(["extractor", "photos/s", "ms/photo", "batch", "decode px", "threads", "device"], rows),
    ]
    rows = []
    for n, d in results["rank"].items():
        n = int(n)
        rows.append(
            [
                n,
                f"{d['first']['median']:.1f} ({d['first']['min']:.1f}–{d['first']['max']:.1f})",
                f"{1000 * d['first']['median'] / n:.1f}",
                f"{n / d['first']['median']:.0f}",
                f"{d['second']['median']:.2f}",
                f"{1000 * d['second']['median'] / n:.2f}",
                f"{n / d['second']['median']:.0f}",
                f"{d['peak_rss_mib']:.0f} ({d['rss_mib_after_imports']:.0f})",
                f"{d['catalog_bytes_per_1000'] / 1e6:.2f}",
            ]
        )
    lines += [
        "",
        f"Whole `rank` pipeline (model: {results.get('model', '?')}; "
        f"medians of {results['config']['repeats']} runs, fresh catalog each):",
        "",
        markdown_table(
            [
                "photos",
                "first run s (range)",
                "ms/photo",
                "photos/s",
                "cached run s",
                "ms/photo",
                "photos/s",
                "peak RSS MiB (RSS after imports)",
                "catalog MB / 1000 photos",
            ],
            rows,
        ),
    ]
    scaling = results.get("scaling")
    if scaling:
        lines.append(
            f"Per-photo time, largest vs smallest shoot: first run ×{scaling['first_per_photo_ratio']:.2f}, "
            f"cached run ×{scaling['second_per_photo_ratio']:.2f} (1.0 = perfectly linear)"
        )
    group = results.get("grouping")
    if group:
        lines.append(
            "Burst grouping alone: "
            + ", ".join(f"{int(n):,} photos {g['us_per_photo']:.1f} µs/photo" for n, g in group.items())
        )
    ratios = results.get("ratios")
    if ratios:
        lines += [
            "",
            f"At {ratios['photos']} photos: decode only (load_photo, max_size={DECODE_SIZE}, "
            f"{ratios['pool_threads']} threads as in `rank`) {ratios['decode_s']:.1f} s "
            f"({ratios['photos'] / ratios['decode_s']:.0f} photos/s; "
            f"one thread {ratios['decode_single_s']:.1f} s)",
            f"- first run {ratios['first_s']:.1f} s ({ratios['first_photos_per_s']:.0f} photos/s), "
            f"second run {ratios['second_s']:.2f} s ({ratios['second_photos_per_s']:.0f} photos/s)",
            f"- first run / decode time = **{ratios['first_vs_decode']:.2f}** (target ≤ 2): "
            f"{'met' if ratios['first_vs_decode'] <= 2 else 'NOT met'}"
            + (
                f" (fastest runs: {ratios['first_vs_decode_fastest']:.2f})"
                if "first_vs_decode_fastest" in ratios
                else ""
            ),
            f"- in CPU time (all threads): first run {ratios['first_cpu_s']:.1f} CPU-s, decode "
            f"{ratios['decode_cpu_s']:.1f} CPU-s, ratio **{ratios['first_cpu_vs_decode_cpu']:.2f}**",
            f"- each first run over the decode pass run right after it: {_pairs(ratios['first_vs_decode_pairs'])} "
            f"(CPU time: {_pairs(ratios['first_cpu_vs_decode_cpu_pairs'])})",
            f"- first run / second run = **{ratios['second_speedup']:.1f}×** (target ≥ 5): "
            f"{'met' if ratios['second_speedup'] >= 5 else 'NOT met'}",
        ]
    people = results.get("people")
    if people:
        dec = people["decode_only"]
        lines += [
            "",
            f"People-only shoot ({people['photos']} photos, a face in every one): first run "
            f"{people['first']['median']:.1f} s, decode {dec['pool']['median']:.1f} s, ratio "
            f"**{people['first']['median'] / dec['pool']['median']:.2f}**; in CPU time "
            f"{people['first_cpu']['median']:.1f} / {dec['pool_cpu']['median']:.1f} CPU-s, ratio "
            f"**{people['first_cpu_vs_decode_cpu']:.2f}**; pairs run in turn "
            f"{_pairs(people['first_vs_decode_pairs'])} (CPU {_pairs(people['first_cpu_vs_decode_cpu_pairs'])})",
        ]
    if "startup" in results:
        from benchmarks.startup import startup_report

        lines += ["", startup_report(results["startup"])]
    return "\n".join(lines)


def _pairs(ratios: dict) -> str:
    """Per-pair ratios as "median **x** (min-max, n pairs)"."""
    return f"median **{ratios['median']:.2f}** ({ratios['min']:.2f}-{ratios['max']:.2f}, {ratios['runs']} pairs)"
