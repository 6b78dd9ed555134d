"""The info panel: capture details, exposure, and the quality signals behind the photo's rank."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from phototriage_gui import formatting
from phototriage_gui.models.shoot import PENDING, PhotoItem
from phototriage_gui.session import Session
from phototriage_gui.views.thumbnail_delegate import burst_title


class InfoPanel(QScrollArea):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(8)
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumWidth(260)
        for signal in (session.currentChanged, session.shootChanged, session.decisionsChanged):
            signal.connect(self.refresh)
        self.refresh()

    def refresh(self, *args: object) -> None:
        self.label.setText(self.text())

    def text(self) -> str:
        photo, shoot = self.session.current_photo(), self.session.shoot
        if photo is None or shoot is None:
            return "<p style='color:#999'>No photo selected.</p>"
        meta = photo.metadata
        burst = shoot.burst_of(photo.key)
        rows = [("File", html.escape(" + ".join(p.name for p in photo.paths)))]
        if meta:
            rows += [
                ("Captured", formatting.capture_line(meta)),
                ("Camera", html.escape(formatting.camera_line(meta))),
                ("Lens", html.escape(meta.get("lens") or "not recorded")),
                ("Exposure", html.escape(formatting.exposure_line(meta))),
            ]
            if meta.get("width"):
                rows.append(("Size", f"{meta['width']} × {meta['height']} px"))
        parts = [_table(rows)]
        if burst.kind == PENDING:
            parts.append("<p style='color:#999'>Analysing… details and ranking appear when the shoot is ranked.</p>")
            return "".join(parts)
        parts.append(f"<h4 style='margin-bottom:2px'>{html.escape(burst_title(burst))}</h4>")
        if burst.kind == "bracket":
            parts.append(
                "<p>An exposure bracket: its frames belong together (HDR), so auto cull keeps them all "
                "and compare offers no pair.</p>"
            )
            return "".join(parts)
        best, runner_up = (shoot.by_key[k] for k in (burst.keys[0], burst.keys[min(1, len(burst.keys) - 1)]))
        reference = runner_up if photo.rank == 1 else best
        lead = f" — {html.escape(burst.confidence)}" if burst.confidence and photo.rank == 1 else ""
        parts.append(
            f"<p><b>Rank {photo.rank} of {len(burst.keys)}</b>{lead}"
            + formatting.quality_text(photo.quality, best.quality if photo.rank != 1 else None)
            + "</p>"
        )
        parts.append(
            "<p>"
            + html.escape(formatting.why(photo.rank, len(burst.keys), photo.signals, best.signals, runner_up.signals))
            + "</p>"
        )
        parts.append(self._signals(photo, reference, "#2" if photo.rank == 1 else "#1"))
        if photo.effects:
            parts.append(self._effects(photo, "#2" if photo.rank == 1 else "#1"))
        if photo.faces:
            parts.append(self._faces(photo))
        model = shoot.model
        if model:
            # The label already names the features, e.g. "default (iqa)"; add why it is the active one.
            parts.append(f"<p style='color:#999'>Model: {html.escape(model.label)} — {html.escape(model.why)}</p>")
        return "".join(parts)

    def _signals(self, photo: PhotoItem, reference: PhotoItem, name: str) -> str:
        compare = reference is not photo
        rows = formatting.signal_rows(photo.signals, reference.signals if compare else None)
        head = (
            "<tr><th align=left>Signal</th><th align=right>this</th>"
            + (f"<th align=right>vs {name}</th><th></th>" if compare else "")
            + "</tr>"
        )
        body = []
        for label, value, diff, verdict in rows:
            colour = VERDICT_COLOURS[formatting.verdict_tone(verdict)]
            cells = f"<td>{label}</td><td align=right>{formatting.signal_value(label, value)}</td>"
            if compare:
                shown = formatting.signal_value(label, diff, signed=True) if diff is not None else ""
                cells += f"<td align=right>{shown}</td><td style='color:{colour}'>{html.escape(verdict)}</td>"
            body.append(f"<tr>{cells}</tr>")
        return f"<table cellspacing=4>{head}{''.join(body)}</table>"

    def _effects(self, photo: PhotoItem, name: str) -> str:
        """What each part of the model's inputs weighed against `name`, largest first: every number the
        model reads (BRISQUE's and the scene statistics too) is in one of these groups."""
        rows = []
        for label, points in formatting.effect_rows(photo.effects):
            colour = VERDICT_COLOURS["good" if points > 0 else "bad"]
            rows.append(
                f"<tr><td>{html.escape(label)}</td><td align=right style='color:{colour}'>{points:+.0f}</td></tr>"
            )
        if not rows:
            return (
                f"<p style='color:#999'>Against {name}, no part of the model's inputs moves the quality by a point.</p>"
            )
        return (
            f"<p style='margin-bottom:0'><b>What the model weighed</b> (quality points against {name})</p>"
            f"<table cellspacing=4>{''.join(rows)}</table>"
        )

    def _faces(self, photo: PhotoItem) -> str:
        """One row per face: how open its eyes are against the same person's best frame, and its focus."""
        rows = []
        for number, face in enumerate(photo.faces, start=1):
            ratio = face.get("eyes_open_vs_best")
            eyes = "eyes not readable" if ratio is None else f"eyes {min(ratio, 1.0) * 100:.0f}% of best"
            tone = "bad" if face.get("eyes_closed") or face.get("soft") else ""
            verdicts = [t for t, k in (("eyes closed", "eyes_closed"), ("face soft", "soft")) if face.get(k)]
            rows.append(
                f"<tr><td>Face {number}</td><td>{eyes}</td>"
                f"<td style='color:{VERDICT_COLOURS[tone]}'>{html.escape(', '.join(verdicts))}</td></tr>"
            )
        return f"<p style='margin-bottom:0'><b>Faces</b> (F shows them)</p><table cellspacing=4>{''.join(rows)}</table>"


#: green for better, red for worse, amber for a plain fact ("0.8 EV brighter"), grey for no difference
VERDICT_COLOURS = {"good": "#7fd18b", "bad": "#ff8b8b", "neutral": "#e6c36a", "": "#bbb"}


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='color:#999; padding-right:8px'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing=2>{cells}</table>"
