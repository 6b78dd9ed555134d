"""Qt item models and the plain shoot structure they present."""
