"""The live session: composition and session logic above the engine, audio and MIDI, and
the one interface the window uses (an import-linter contract keeps ``app.ui`` to what this
module exports). No Qt.

- ``LiveEngine`` wires the rig's sources (``rig``), the analyzer and render threads, the
  patch session (``patches``), MIDI (``midi_controls``), the command language
  (``commands``) and recording (``recording``); ``status()``, ``take_notices()``,
  ``input_tap`` and ``midi.state()`` are what front ends read.
- ``headless`` is the terminal front end (``live --headless``)."""

from __future__ import annotations

from .engine import LiveEngine
from .midi_controls import MidiState
from .options import InputTap, LiveOptions, LiveStatus
from .osc_session import OscState


def built_in_looks() -> tuple[str, ...]:
    """The looks of the built-in generator, for the model picker."""
    from app.engine.generators.field import LOOKS

    return tuple(LOOKS)


def input_device_names() -> list[str]:
    """The audio input devices this machine has (none without PortAudio)."""
    from app.audio.live_input import list_input_devices
    from app.core.errors import UserError

    try:
        return [d.name for d in list_input_devices()]
    except UserError:
        return []


def midi_learn_targets(registry) -> list[str]:
    """Everything MIDI learn can bind: the learnable parameters and ``trigger:NAME`` for
    each trigger."""
    from app.midi.mapping import TRIGGERS

    return [spec.id for spec in registry if spec.learnable] + [f"trigger:{t}" for t in TRIGGERS]


def launcher_layout() -> tuple[int, int, tuple[str, ...]]:
    """(columns, rows, the key row of each grid row) of the launcher grid."""
    from .launcher import COLUMNS, KEY_ROWS, ROWS

    return COLUMNS, ROWS, KEY_ROWS


def binding_model():
    """The pydantic model of one controller-map row (the mapping table's columns)."""
    from app.midi.mapping import Binding

    return Binding


__all__ = [
    "InputTap",
    "LiveEngine",
    "LiveOptions",
    "LiveStatus",
    "OscState",
    "MidiState",
    "binding_model",
    "built_in_looks",
    "input_device_names",
    "launcher_layout",
    "midi_learn_targets",
]
