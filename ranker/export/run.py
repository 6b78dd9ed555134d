"""Running an export plan: each photo with its sidecars placed, verified and rolled back together on failure."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator

from ranker.export.embed import EmbedError
from ranker.export.place import _embedded_copy, _Failure, _place, _Placed, _reason, _rollback, _unwritable
from ranker.export.plan import ExportItem, ExportPlan, FileOp, can_embed
from ranker.export.report import ALREADY_THERE, ExportReport, ReportEntry
from ranker.io.files import clean_temp_files, fsync_dir
from ranker.progress import Cancelled, Progress, Stage, check_cancel
from ranker.xmp import (
    Decision,
    RankInfo,
    XmpError,
    embedded_decision,
    merged_packet,
    read_embedded_xmp,
    write_sidecar,
)


def run_export(plan: ExportPlan, *, cancel: threading.Event | None = None) -> Generator[Progress, None, ExportReport]:
    """Carry out `plan`, yielding Progress per file; returns (and finally yields) the report.

    Each photo is all-or-nothing: its files are placed and verified first; only then, for a
    move, are the sources deleted; a failure rolls the photo's new files back and the export
    goes on with the next photo. Cancelling stops between photos and still returns the report.
    """
    report = ExportReport(plan.mode, plan.dest)
    total = len(plan.ops)
    done = 0
    yield Progress(Stage.EXPORT, 0, total, f"exporting into {plan.dest}")
    try:
        plan.dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for op in plan.ops:
            report.failed.append(ReportEntry(op.source, op.dest, op.kind, _reason(exc)))
        yield Progress(Stage.EXPORT, total, total, report.summary(), item=report)
        return report
    report.cleaned = clean_temp_files(plan.dest)
    unwritable = _unwritable(plan.dest)
    if unwritable:
        for op in plan.ops:
            report.failed.append(ReportEntry(op.source, op.dest, op.kind, unwritable))
        yield Progress(Stage.EXPORT, total, total, report.summary(), item=report)
        return report

    groups: dict[int, list[FileOp]] = {}
    for op in plan.ops:
        groups.setdefault(op.item, []).append(op)
    ordered = list(groups.items())
    for position, (index, ops) in enumerate(ordered):
        try:
            check_cancel(cancel)
        except Cancelled:
            report.cancelled = True
            for _, rest in ordered[position:]:
                report.skipped += [
                    ReportEntry(op.source, op.dest, op.kind, "cancelled") for op in rest if op.kind != "xmp"
                ]
            break
        item = plan.items[index] if 0 <= index < len(plan.items) else None
        for step in _export_item(plan, item, ops, report):
            done += 1
            yield Progress(Stage.EXPORT, min(done, total), total, step.dest.name if step.dest else "", item=step)
    yield Progress(Stage.EXPORT, total, total, report.summary(), item=report)
    return report


def _embed_for(plan: ExportPlan, item: ExportItem | None, op: FileOp) -> tuple[bytes, Decision] | None:
    """The XMP packet a JPEG copy should carry: the original's own packet with the decision merged in."""
    if item is None or not plan.embed_xmp or plan.mode != "copy" or op.kind != "photo" or not can_embed(op.dest):
        return None
    rank = RankInfo(item.burst_id, item.rank, float(item.score), item.model)
    try:
        packet = merged_packet(read_embedded_xmp(op.source), item.decision, rank, plan.xmp_style, op.source)
    except (XmpError, OSError):
        return None  # an embedded packet we cannot parse is never rewritten: a plain copy goes out
    return packet, item.decision


def _refresh_embedded(plan: ExportPlan, item: ExportItem, op: FileOp) -> None:
    """A copy left by an earlier export already carries XMP: bring its decision up to date, verified."""
    embed = _embed_for(plan, item, op)
    if embed is None or embedded_decision(op.dest) == item.decision:
        return
    try:
        packet = merged_packet(
            read_embedded_xmp(op.dest),
            item.decision,
            RankInfo(item.burst_id, item.rank, float(item.score), item.model),
            plan.xmp_style,
            op.dest,
        )
        new = _embedded_copy(op.dest, op.dest, packet, item.decision)
    except (XmpError, EmbedError, OSError, _Failure):
        return
    os.replace(new, op.dest)
    fsync_dir(op.dest.parent)


def _export_item(
    plan: ExportPlan, item: ExportItem | None, ops: list[FileOp], report: ExportReport
) -> Generator[ReportEntry, None, None]:
    files = [op for op in ops if op.kind != "xmp"]
    placed: list[_Placed] = []
    failure: tuple[FileOp, str] | None = None
    for op in files:
        if op.status == "skip":
            entry = ReportEntry(op.source, op.dest, op.kind, op.reason)
            report.skipped.append(entry)
            yield entry
            continue
        if failure is not None:
            break
        try:
            placed.append(_place(op, plan.mode, _embed_for(plan, item, op)))
        except Exception as exc:  # noqa: BLE001 - every per-file failure is reported, the export goes on
            failure = (op, _reason(exc))
    if failure is not None:
        bad, why = failure
        for p in reversed(placed):
            try:
                _rollback(p)
            except OSError as exc:
                report.failed.append(
                    ReportEntry(p.op.source, p.op.dest, p.op.kind, f"could not undo after a failure: {_reason(exc)}")
                )
        for op in files:
            if op.status == "skip":
                continue
            if op is bad:
                entry = ReportEntry(op.source, op.dest, op.kind, why)
                report.failed.append(entry)
            else:
                entry = ReportEntry(op.source, op.dest, op.kind, f"not exported: {bad.source.name} failed ({why})")
                report.skipped.append(entry)
            yield entry
        return

    for p in placed:
        op = p.op
        if plan.mode == "move" and p.how == "exists" and op.kind == "sidecar":
            # Ours from an interrupted run, maybe merged since: the source copy may hold newer edits.
            entry = ReportEntry(
                op.source, op.dest, op.kind, "kept at the source: a sidecar is already at the destination"
            )
            report.skipped.append(entry)
            yield entry
            continue
        if plan.mode == "move" and p.how != "rename":
            # Only now, with every file of the photo verified at the destination, drop the sources.
            try:
                os.unlink(op.source)
            except FileNotFoundError:
                pass
            except OSError as exc:
                entry = ReportEntry(
                    op.source, op.dest, op.kind, f"copied, but the source was not removed: {_reason(exc)}"
                )
                report.failed.append(entry)
                yield entry
                continue
        if plan.mode == "move":
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.moved.append(entry)
        elif p.how in ("hardlink", "symlink"):
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.linked.append(entry)
        elif p.how == "exists":
            entry = ReportEntry(op.source, op.dest, op.kind, ALREADY_THERE)
            if op.kind == "photo" and item is not None and plan.embed_xmp and plan.mode == "copy":
                _refresh_embedded(plan, item, op)
            report.skipped.append(entry)
        else:
            entry = ReportEntry(op.source, op.dest, op.kind, p.how)
            report.copied.append(entry)
        yield entry

    if item is None:
        return
    for op in (o for o in ops if o.kind == "xmp"):
        if op.status == "exists":
            entry = ReportEntry(op.source, op.dest, "xmp", "already exported: the sidecar there is left as it is")
            report.skipped.append(entry)
            yield entry
            continue
        rank = RankInfo(item.burst_id, item.rank, float(item.score), item.model)
        try:
            write_sidecar(op.source, item.decision, rank, style=plan.xmp_style, target=op.dest)
            entry = ReportEntry(op.source, op.dest, "xmp")
            report.sidecars_written.append(entry)
        except (XmpError, OSError) as exc:
            entry = ReportEntry(op.source, op.dest, "xmp", _reason(exc))
            report.failed.append(entry)
        yield entry
