"""Right-click "MIDI learn" on any control of the window: the control's trigger (or
parameter) is armed, the next MIDI control moved is bound to it (Commit in the MIDI tab, or
``commit``), so every action of the Perform layout can be played from a controller."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMenu, QWidget


def add_learn_menu(
    widget: QWidget, command: Callable[[str], None], target: str, argument: str = "", what: str = ""
) -> None:
    """Give ``widget`` a context menu that learns (or unbinds) ``target`` with
    ``argument`` through the performer's words (``learn``, ``unbind``)."""
    words = f"{target} {argument}".strip()
    widget.setProperty("learn_target", words)

    def show_menu(position) -> None:
        menu = QMenu(widget)
        learn = menu.addAction(f"MIDI learn: {what or words}")
        unbind = menu.addAction("MIDI unbind")
        chosen = menu.exec(widget.mapToGlobal(position))
        if chosen is learn:
            command(f"learn {words}")
        elif chosen is unbind:
            command(f"unbind {words}")

    widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    widget.customContextMenuRequested.connect(show_menu)
