"""The Preferences dialog: edits ranker.store.preferences.Preferences, nothing else."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from ranker.store.preferences import BLINK_LEVELS, DEVICES, GAP_SECONDS_RANGE, KEEP_PER_BURST_RANGE, Preferences
from ranker.xmp.style import LABELS, PICK_STYLES, SIDECAR_STYLES


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._prefs = prefs
        self.gap = QDoubleSpinBox(self)
        self.gap.setRange(*GAP_SECONDS_RANGE)
        self.gap.setSingleStep(0.5)
        self.gap.setSuffix(" s")
        self.gap.setValue(prefs.burst_gap_seconds)
        self.keep = QSpinBox(self)
        self.keep.setRange(*KEEP_PER_BURST_RANGE)
        self.keep.setValue(prefs.keep_per_burst)
        self.device = QComboBox(self)
        self.device.addItems(DEVICES)
        self.device.setCurrentText(prefs.device)
        self.auto_advance = QCheckBox("Move to the next photo after a flag or rating", self)
        self.auto_advance.setChecked(prefs.auto_advance)
        self.recursive = QCheckBox("Include sub-folders when opening a folder", self)
        self.recursive.setChecked(prefs.recursive)
        # Decisions in other tools (README "Your decisions in other tools")
        self.write_sidecars = QCheckBox("Write every decision into the sidecar beside the original", self)
        self.write_sidecars.setChecked(prefs.write_sidecars)
        self.sidecar_style = QComboBox(self)
        self.sidecar_style.addItems(SIDECAR_STYLES)
        self.sidecar_style.setCurrentText(prefs.sidecar_style)
        self.pick_as = QComboBox(self)
        self.pick_as.addItems(PICK_STYLES)
        self.pick_as.setCurrentText(prefs.pick_as)
        self.pick_label = QComboBox(self)
        self.pick_label.addItems(LABELS)
        self.pick_label.setCurrentText(prefs.pick_label)
        self.pick_min_rating = QSpinBox(self)
        self.pick_min_rating.setRange(1, 5)
        self.pick_min_rating.setSuffix(" ★")
        self.pick_min_rating.setValue(prefs.pick_min_rating)
        self.blink = QComboBox(self)
        self.blink.addItems(BLINK_LEVELS)
        self.blink.setCurrentText(prefs.blink_strictness)
        form = QFormLayout(self)
        form.addRow("Burst gap", self.gap)
        form.addRow("", QLabel("<small>frames closer than this that look alike are one burst</small>", self))
        form.addRow("Auto cull keeps", self.keep)
        form.addRow("Compute device", self.device)
        form.addRow("Blink check", self.blink)
        form.addRow(
            "",
            QLabel(
                "<small>eyes open less than 45% (lenient), 60% (normal) or 75% (strict) as wide as "
                "in that person's best frame of the burst count as closed</small>",
                self,
            ),
        )
        form.addRow(self.auto_advance)
        form.addRow(self.recursive)
        form.addRow(self.write_sidecars)
        form.addRow("Sidecar style", self.sidecar_style)
        form.addRow(
            "",
            QLabel(
                "<small>adobe: IMG.xmp (Lightroom, Capture One, Bridge, Photo Mechanic); "
                "darktable, digikam: IMG.CR2.xmp</small>",
                self,
            ),
        )
        form.addRow("Show picks as", self.pick_as)
        form.addRow("Pick label", self.pick_label)
        form.addRow("Pick at least", self.pick_min_rating)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def preferences(self) -> Preferences:
        return replace(
            self._prefs,
            burst_gap_seconds=self.gap.value(),
            keep_per_burst=self.keep.value(),
            device=self.device.currentText(),
            auto_advance=self.auto_advance.isChecked(),
            recursive=self.recursive.isChecked(),
            write_sidecars=self.write_sidecars.isChecked(),
            sidecar_style=self.sidecar_style.currentText(),
            pick_as=self.pick_as.currentText(),
            pick_label=self.pick_label.currentText(),
            pick_min_rating=self.pick_min_rating.value(),
            blink_strictness=self.blink.currentText(),
        )
