"""The GUI's state objects (decisions, the compare pair, the ranking job): Qt signals, no widgets."""
