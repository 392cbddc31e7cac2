"""PyQt6 user interface: the only package that imports Qt. Arrives with the desktop-app issue."""
