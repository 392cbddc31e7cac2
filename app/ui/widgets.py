"""Small building blocks the panels share."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PyQt6.QtWidgets import QHBoxLayout, QPushButton


def button_row(specs: Sequence[tuple[str, Callable[[], object]]],
               into: dict[str, QPushButton]) -> QHBoxLayout:
    """A row of push buttons, one per (label, slot); each is also put in ``into`` by label
    (tests and callers reach them there)."""
    row = QHBoxLayout()
    for label, slot in specs:
        button = QPushButton(label)
        button.clicked.connect(slot)
        row.addWidget(button)
        into[label] = button
    return row
