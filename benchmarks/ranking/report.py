"""The ranking benchmark's results as Markdown: burst tables, the verdict, CLIVE, real pairs, PhotoTriage."""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchmarks.baselines import BASELINES
from benchmarks.common import describe_machine, markdown_table
from benchmarks.ranking.checkpoints import DEFAULT_NAME


def fmt(value: float, ci: Sequence[float] | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.3f}" + (f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "")


def _burst_table(levels: dict, skipped: dict) -> list[str]:
    names: list[str] = []
    for data in levels.values():
        names += [n for n in data["methods"] if n not in names]
    header = ["method"] + [f"{level} {metric}" for level in levels for metric in ("top-1", "pairwise")]
    rows = []
    for name in names:
        row = [name]
        for data in levels.values():
            m = data["methods"].get(name)
            row += [fmt(m["top1"], m["top1_ci95"]), fmt(m["pairwise"], m["pairwise_ci95"])] if m else ["–", "–"]
        rows.append(row)
    for name, why in skipped.items():
        rows.append([name] + [why] + ["–"] * (len(header) - 2))
    lines = [markdown_table(header, rows)]
    if levels and all(DEFAULT_NAME in d["methods"] for d in levels.values()):
        kinds = {level: list(d["methods"][DEFAULT_NAME]["pairwise_by_defect"]) for level, d in levels.items()}
        kinds_header = ["method"] + [f"{level} {kind}" for level, ks in kinds.items() for kind in ks]
        rows = []
        for name in names:
            row = [name]
            for level, data in levels.items():
                by = data["methods"].get(name, {}).get("pairwise_by_defect", {})
                row += [f"{by[k]['accuracy']:.2f}" if k in by else "–" for k in kinds[level]]
            rows.append(row)
        lines += [
            "",
            "Pairwise accuracy (clean frame above the degraded one) by degradation:",
            "",
            markdown_table(kinds_header, rows),
        ]
    return lines


def report(results: dict) -> str:
    lines = []
    for generator, levels in results["generators"].items():
        counts = ", ".join(f"{level}: {d['bursts']} bursts / {d['pairs']} pairs" for level, d in levels.items())
        title = (
            "Independent generator (benchmarks/degrade.py), held-out photos"
            if generator == "independent"
            else "Training generator (ranker.datasets.synthetic.LEVELS), held-out photos [reference]"
        )
        lines += [f"## {title} ({counts}; 95% bootstrap intervals in brackets)", ""]
        lines += _burst_table(levels, results["skipped"] if generator == "independent" else {})
        lines.append("")
    v = results["verdict"]
    lines += [
        "Default checkpoint beats every baseline (" + ", ".join(BASELINES) + ") on the independent bursts, "
        "both levels, top-1 and pairwise: "
        + ("**yes**" if v["beats_every_baseline"] else "**NO** — " + "; ".join(v["details"])),
        "",
    ]
    cl = results.get("clive")
    if cl:
        lines += [
            f"## CLIVE held-out `{cl['split']}` split ({cl['photos']} photos, human MOS)"
            if cl["split"] != "all"
            else f"## CLIVE: every photo of {cl['root']} ({cl['photos']} photos, human MOS)",
            "",
            markdown_table(
                ["method", "Spearman", "Pearson"],
                [[n, f"{m['spearman']:+.3f}", f"{m['pearson']:+.3f}"] for n, m in cl["methods"].items()],
            ),
            "",
        ]
    rp = results.get("real_pairs")
    if rp:
        lines += [
            "## Real pairs of one scene (1 = the first is ranked above the second)",
            "",
            markdown_table(["method", *rp["pairs"]], [[n, *(f"{c:.1f}" for c in v)] for n, v in rp["methods"].items()]),
            "",
        ]
    lines += [
        f"Machine: {describe_machine(results['machine'])}",
        f"Command: `{results['command']}`",
        f"Sources: {', '.join(results['sources'])}",
    ]
    if results.get("excluded"):
        lines.append(f"Left out of --photos: {'; '.join(results['excluded'])}")
    for name, c in results.get("checkpoints", {}).items():
        lines.append(f"{name}: {c['label']}, {c['path']} (content key {c['key']}); {c['note']}")
    for name, note in results.get("notes", {}).items():
        lines.append(f"{name}: {note}")
    pt = results.get("phototriage")
    if pt:
        lines += [
            "",
            f"## PhotoTriage validation pairs ({pt['pairs']} pairs with P<0.3 or P>0.7, "
            f"{pt['ambiguous_dropped']} ambiguous dropped, {pt['missing_images']} with missing images)",
            "",
            markdown_table(
                ["method", "pairwise"], [[n, fmt(m["pairwise"], m["pairwise_ci95"])] for n, m in pt["methods"].items()]
            ),
        ]
    return "\n".join(lines)
