"""Export selects (copy, move or link) with their sidecars, never overwriting or losing a file.

plan (what goes where, refused before anything moves), place (one file, verified), run (a plan, photo by
photo, rolled back together) and report (the summary and the CSV/JSON of the selects); selection (which
ranked photos are selects), embed (XMP inside JPEG/TIFF/DNG copies) and job (an export from a ranking on
screen, as one generator).
"""

from __future__ import annotations

from ranker.export import place, plan
from ranker.export.plan import (
    COLLISION_POLICIES,
    MODES,
    ExportItem,
    ExportPlan,
    FileOp,
    can_embed,
    plan_export,
    same_image,
    with_xmp,
)
from ranker.export.report import ExportReport, ReportEntry, write_report
from ranker.export.run import run_export

__all__ = [
    "COLLISION_POLICIES",
    "MODES",
    "ExportItem",
    "ExportPlan",
    "ExportReport",
    "FileOp",
    "ReportEntry",
    "can_embed",
    "place",
    "plan",
    "plan_export",
    "run_export",
    "same_image",
    "with_xmp",
    "write_report",
]
