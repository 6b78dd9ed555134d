"""Culling a shoot: the ranking pipeline, the automatic first pass and which pair to compare next."""
