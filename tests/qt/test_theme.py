"""The window is dark by default, readable (light text on dark), the light theme a key
away, and the choice is remembered."""

from __future__ import annotations

from PyQt6.QtGui import QPalette
from PyQt6.QtWidgets import QApplication

from app.ui.settings import remember, remembered_theme
from app.ui.theme import DEFAULT_THEME, apply_theme, current_theme


def lightness(role: QPalette.ColorRole) -> int:
    return QApplication.instance().palette().color(role).lightness()


def test_dark_by_default_light_on_request_and_remembered(qtbot, window):
    app = QApplication.instance()
    assert DEFAULT_THEME == "dark"  # what run_app applies when nothing is remembered
    apply_theme(app, DEFAULT_THEME)
    assert lightness(QPalette.ColorRole.Window) < 60
    assert lightness(QPalette.ColorRole.WindowText) > 200  # contrast from a few steps away
    window.toggle_theme()
    assert current_theme(app) == "light" and lightness(QPalette.ColorRole.Window) > 180
    remember(window)
    assert remembered_theme() == "light"
    window.toggle_theme()
    assert current_theme(app) == "dark"
    remember(window)
    assert remembered_theme() == "dark"
