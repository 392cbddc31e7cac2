"""MIDI messages decoded from raw bytes (what python-rtmidi hands its callback).

Pure: no ports, no threads. Channels are 0-15 here and 1-16 wherever a person reads them
(mapping files, the monitor), as on every controller's display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "note_on",
    "note_off",
    "cc",
    "program",
    "pitchbend",
    "aftertouch",
    "poly_aftertouch",
    "clock",
    "start",
    "continue",
    "stop",
    "song_position",
    "other",
]

_CHANNEL_KINDS: dict[int, Kind] = {
    0x80: "note_off",
    0x90: "note_on",
    0xA0: "poly_aftertouch",
    0xB0: "cc",
    0xC0: "program",
    0xD0: "aftertouch",
    0xE0: "pitchbend",
}
_SYSTEM_KINDS: dict[int, Kind] = {
    0xF8: "clock",
    0xFA: "start",
    0xFB: "continue",
    0xFC: "stop",
    0xF2: "song_position",
}


@dataclass(frozen=True, slots=True)
class MidiMessage:
    """One message. ``number`` is the note, controller or program (song position: the
    position in 16th notes); ``value`` the velocity, controller value or pitch bend
    (0-16383)."""

    kind: Kind
    channel: int | None = None
    number: int = 0
    value: int = 0


def decode(data: Sequence[int]) -> MidiMessage | None:
    """The message in ``data``, or None for an empty or truncated one."""
    if not data:
        return None
    status = int(data[0])
    if status >= 0xF0:
        kind = _SYSTEM_KINDS.get(status, "other")
        if kind == "song_position":
            if len(data) < 3:
                return None
            return MidiMessage(kind, number=(int(data[2]) << 7) | int(data[1]))
        return MidiMessage(kind)
    kind = _CHANNEL_KINDS.get(status & 0xF0)
    if kind is None:  # a data byte where a status byte belongs (running status is resolved
        return None  # by the driver before the callback)
    channel = status & 0x0F
    needs = 2 if kind in ("program", "aftertouch") else 3
    if len(data) < needs:
        return None
    a = int(data[1])
    b = int(data[2]) if needs == 3 else 0
    if kind == "note_on" and b == 0:  # note-on with velocity 0 is a note-off
        kind = "note_off"
    if kind == "pitchbend":
        return MidiMessage(kind, channel, 0, (b << 7) | a)
    if kind in ("program", "aftertouch"):
        return MidiMessage(kind, channel, a, a if kind == "aftertouch" else 0)
    return MidiMessage(kind, channel, a, b)


def describe(message: MidiMessage) -> str:
    """One human line, channels 1-16: ``ch 1  cc 21 = 64``."""
    ch = f"ch {message.channel + 1:<2d}  " if message.channel is not None else ""
    kind = message.kind
    if kind in ("note_on", "note_off", "poly_aftertouch"):
        return f"{ch}{kind.replace('_', ' ')} {message.number} velocity {message.value}"
    if kind == "cc":
        return f"{ch}cc {message.number} = {message.value}"
    if kind == "program":
        return f"{ch}program {message.number}"
    if kind in ("pitchbend", "aftertouch"):
        return f"{ch}{kind} {message.value}"
    if kind == "song_position":
        return f"song position {message.number} (16ths)"
    return kind
