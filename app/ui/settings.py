"""What the window remembers between runs (QSettings): layout, last preset, the audio input
and MIDI ports, and the output screen. Options given on the command line win; a remembered
device or preset that is gone is simply not used."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import QSettings

from app.live import LiveOptions


def settings() -> QSettings:
    return QSettings("latentvj", "latentvj")


def remembered_options(options: LiveOptions, explicit: set[str]) -> LiveOptions:
    """``options`` with remembered choices filled in where the user gave none."""
    s = settings()
    changes: dict = {}
    preset = s.value("preset", "", str)
    if "preset" not in explicit and preset and Path(preset).is_file():
        changes["preset"] = preset
    device = s.value("audio_device", "", str)
    if not explicit & {"audio_device", "play"} and device:
        changes["audio_device"] = device
    ports = s.value("midi", [], list)
    if "midi" not in explicit and ports:
        changes["midi"] = [str(p) for p in ports]
    return replace(options, **changes)


def remember(window) -> None:
    """Called as the window closes."""
    s = settings()
    engine = window.engine
    s.setValue("geometry", window.saveGeometry())
    s.setValue("state", window.edit_layout())
    s.setValue("layout", "perform" if window.performing else "edit")
    s.setValue("preset", str(engine.preset_path))
    s.setValue("audio_device", engine.input_tap.device_name or "")
    s.setValue("midi", list(engine.options.midi))
    s.setValue("output_screen", window.screens.currentText().split(" ", 1)[-1])
    from PyQt6.QtWidgets import QApplication

    from .theme import current_theme

    s.setValue("theme", current_theme(QApplication.instance()))
    s.sync()


def remembered_theme() -> str:
    from .theme import DEFAULT_THEME

    return settings().value("theme", DEFAULT_THEME, str)


def restore(window) -> None:
    """Layout and output screen, as they were."""
    s = settings()
    geometry, state = s.value("geometry"), s.value("state")
    if geometry is not None:
        window.restoreGeometry(geometry)
    if state is not None:
        window.restoreState(state)
    if s.value("layout", "edit", str) == "perform":
        window.set_perform(True)
    screen = s.value("output_screen", "", str)
    for i in range(window.screens.count()):
        if screen and window.screens.itemText(i).endswith(screen):
            window.screens.setCurrentIndex(i)
