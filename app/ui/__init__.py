"""PyQt6 user interface: the only package that imports Qt (``qt_libs`` checks, without
importing it, that Qt can load)."""
