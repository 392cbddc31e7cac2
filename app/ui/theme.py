"""The window's look: dark by default (a performer reads it from a few steps away in a dark
room, and a bright panel beside the projection is a lamp), the light one on request
(``Ctrl+Shift+L``, remembered). Both on Qt's Fusion style, so they look the same on every
desktop."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication

THEMES = ("dark", "light")
DEFAULT_THEME = "dark"
# (role, colour) of the dark palette; Fusion derives the rest (borders, shadows)
_DARK = {
    QPalette.ColorRole.Window: "#1d1f24",
    QPalette.ColorRole.WindowText: "#e8e8ea",
    QPalette.ColorRole.Base: "#15161a",
    QPalette.ColorRole.AlternateBase: "#24262c",
    QPalette.ColorRole.ToolTipBase: "#2b2e35",
    QPalette.ColorRole.ToolTipText: "#e8e8ea",
    QPalette.ColorRole.PlaceholderText: "#8a8d96",
    QPalette.ColorRole.Text: "#e8e8ea",
    QPalette.ColorRole.Button: "#2b2e35",
    QPalette.ColorRole.ButtonText: "#e8e8ea",
    QPalette.ColorRole.BrightText: "#ff5c5c",
    QPalette.ColorRole.Highlight: "#f08a24",
    QPalette.ColorRole.HighlightedText: "#111111",
    QPalette.ColorRole.Link: "#5eb3ff",
}
_DARK_DISABLED = "#6b6e76"


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DARK_DISABLED))
    return palette


def apply_theme(app: QApplication, name: str) -> str:
    """Give the whole application the ``name``d look (an unknown name: the default);
    returns the theme applied."""
    name = name if name in THEMES else DEFAULT_THEME
    app.setStyle("Fusion")
    style = app.style()
    app.setPalette(dark_palette() if name == "dark" else style.standardPalette())
    app.setProperty("latentvj-theme", name)
    return name


def current_theme(app: QApplication) -> str:
    return app.property("latentvj-theme") or "light"
