"""What an export did, for the user: the summary, and the CSV/JSON report of the selects."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ranker.errors import UsageError
from ranker.export.plan import ExportItem
from ranker.io.files import atomic_write_bytes

#: a skipped file's detail when an identical copy is already at its destination (a resumed export)
ALREADY_THERE = "already at the destination"


@dataclass(frozen=True)
class ReportEntry:
    source: Path
    dest: Path | None
    kind: str
    detail: str = ""  # the reason for a skip or failure; "hardlink"/"symlink" for links


@dataclass
class ExportReport:
    mode: str
    dest: Path
    copied: list[ReportEntry] = field(default_factory=list)
    moved: list[ReportEntry] = field(default_factory=list)
    linked: list[ReportEntry] = field(default_factory=list)
    skipped: list[ReportEntry] = field(default_factory=list)
    failed: list[ReportEntry] = field(default_factory=list)
    sidecars_written: list[ReportEntry] = field(default_factory=list)
    cleaned: list[Path] = field(default_factory=list)
    cancelled: bool = False

    @property
    def placed(self) -> dict[Path, Path]:
        """Where each photo file copied, moved or linked (or already there) now is: source → destination."""
        done = [*self.copied, *self.moved, *self.linked]
        done += [e for e in self.skipped if e.detail == ALREADY_THERE]  # an identical copy from an earlier run
        return {e.source: e.dest for e in done if e.kind == "photo" and e.dest is not None}

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        head = (
            f"{self.mode} into {self.dest}: {len(self.copied)} copied, {len(self.moved)} moved, "
            f"{len(self.linked)} linked, {len(self.skipped)} skipped, {len(self.failed)} failed, "
            f"{len(self.sidecars_written)} sidecar(s) written"
        )
        lines = [head + (" (cancelled)" if self.cancelled else "")]
        links: dict[str, int] = {}
        for e in self.linked:
            links[e.detail] = links.get(e.detail, 0) + 1
        if links:
            lines.append("  links: " + ", ".join(f"{n} {kind}" for kind, n in sorted(links.items())))
        if self.cleaned:
            lines.append(f"  removed {len(self.cleaned)} temp file(s) left by an interrupted export")
        for e in self.copied:
            if e.detail.startswith("copy ("):  # a copy that could not carry its XMP inside
                lines.append(f"  note    {(e.dest or e.source).name}: {e.detail}")
        for e in self.failed:
            lines.append(f"  FAILED  {e.source} -> {e.dest}: {e.detail}")
        for e in self.skipped:
            lines.append(f"  skipped {e.source}: {e.detail}")
        return "\n".join(lines)


_REPORT_FIELDS = ("path", "burst", "rank", "score", "flag", "rating", "label", "exported_to")


def write_report(items: Iterable[ExportItem], path: Path, placed: Mapping[Path, Path] | None = None) -> Path:
    """Write one row per photo to `path` (.csv or .json): path, burst, rank, score, flag, rating, label and,
    after an export, where its photo file went (`placed`: source → destination, from ExportReport.placed;
    after a move `path` no longer exists, so the row must say where the file is now)."""
    path = Path(path)
    placed = placed or {}
    rows = [
        {
            "path": str(item.files[0]),
            "burst": item.burst_id,
            "rank": item.rank,
            "score": float(item.score),
            "flag": item.decision.flag,
            "rating": item.decision.rating,
            "label": item.decision.label,
            "exported_to": str(placed[item.files[0]]) if item.files[0] in placed else None,
        }
        for item in items
    ]
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.dumps(rows, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    elif suffix == ".csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=_REPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        data = buf.getvalue().encode("utf-8")
    else:
        raise UsageError(f"report must end in .csv or .json, not {path.name!r}")
    try:
        like = os.stat(path)
    except OSError:
        like = None
    atomic_write_bytes(path, data, like=like)
    return path
