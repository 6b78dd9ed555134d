"""The widgets: compare, loupe, grid, burst strip, info, filter bar, panels and overlays."""
