"""The Preferences dialog: edits ranker.preferences.Preferences, nothing else."""
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

from ranker.preferences import DEVICES, Preferences


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._prefs = prefs
        self.gap = QDoubleSpinBox(self)
        self.gap.setRange(0.1, 600)
        self.gap.setSingleStep(0.5)
        self.gap.setSuffix(" s")
        self.gap.setValue(prefs.burst_gap_seconds)
        self.keep = QSpinBox(self)
        self.keep.setRange(1, 99)
        self.keep.setValue(prefs.keep_per_burst)
        self.device = QComboBox(self)
        self.device.addItems(DEVICES)
        self.device.setCurrentText(prefs.device)
        self.auto_advance = QCheckBox("Move to the next photo after a flag or rating", self)
        self.auto_advance.setChecked(prefs.auto_advance)
        self.recursive = QCheckBox("Include sub-folders when opening a folder", self)
        self.recursive.setChecked(prefs.recursive)
        form = QFormLayout(self)
        form.addRow("Burst gap", self.gap)
        form.addRow("", QLabel("<small>frames closer than this that look alike are one burst</small>", self))
        form.addRow("Auto cull keeps", self.keep)
        form.addRow("Compute device", self.device)
        form.addRow(self.auto_advance)
        form.addRow(self.recursive)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def preferences(self) -> Preferences:
        return replace(self._prefs, burst_gap_seconds=self.gap.value(), keep_per_burst=self.keep.value(),
                       device=self.device.currentText(), auto_advance=self.auto_advance.isChecked(),
                       recursive=self.recursive.isChecked())
