"""What a live session is started with (``LiveOptions``), what it reports (``LiveStatus``),
and the controller map file it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import UserError


@dataclass
class LiveOptions:
    """What ``live`` was asked for; validated when the engine is built."""

    preset: str = "nebula-drift"
    audio_device: str | None = None  # index or name substring; None: the default input
    play: str | None = None  # a file to play as input, or "demo"
    channels: list[int] | None = None
    samplerate: int | None = None
    fps: float = 30.0
    size: tuple[int, int] = (640, 360)
    latency_ms: float = 0.0
    beat_tracker: str = "flux"  # flux, learned or madmom (optional package)
    device: str = "auto"
    auto_resolution: bool = True
    midi: list[str] = field(default_factory=list)
    midi_map: str | Path = "8-knobs-8-faders"
    midi_api: str = "auto"
    record: str | None = None  # record to this file from the start
    record_size: tuple[int, int] | None = None
    record_codec: str = "h264"
    record_quality: str = "standard"
    model: str | None = None  # play this model file / folder (--model)
    osc_in: str | None = None  # listen for OSC: PORT or HOST:PORT (--osc-in)
    osc_out: list[str] = field(default_factory=list)  # send OSC to HOST:PORT (--osc-out)
    osc_rate: float | None = None  # OSC out bundles a second (None: 30, at most the frame
    # rate; beats go when they fall)


@dataclass(frozen=True)
class LiveStatus:
    """One look at the engine (the status line, the HUD)."""

    bpm: float
    source: str
    locked: bool
    confidence: float
    fps: float
    render_ms: float
    latency_ms: float
    internal_size: tuple[int, int]
    drops: int
    input: str
    reconnects: int
    overflows: int
    lost: int
    midi_ports: int
    midi_messages: int
    frozen: bool
    blackout: bool
    playing: bool = True
    level_db: float = -180.0
    ahead_ms: float = 0.0  # beats are predicted this far ahead (render + output)
    recording: str | None = None  # the file being recorded
    record_s: float = 0.0
    record_drops: int = 0
    nudge_beats: float = 0.0  # the performer's phase shift held against the source
    osc_messages: int = 0  # OSC messages applied ...
    osc_dropped: int = 0  # ... and packets / messages dropped (bad traffic)

    def line(self) -> str:
        midi = (
            f" midi={self.midi_ports}ports/{self.midi_messages}msgs"
            if self.midi_ports or self.midi_messages
            else ""
        )
        if self.recording:
            midi += f" rec={self.record_s:.1f}s/{self.record_drops}dropped"
        nudge = f" nudge={self.nudge_beats:+.3f}" if self.nudge_beats else ""
        if self.osc_messages or self.osc_dropped:
            midi += f" osc={self.osc_messages}msgs/{self.osc_dropped}dropped"
        return (
            f"bpm={self.bpm:6.1f} src={self.source}{'/lock' if self.locked else ''}{nudge} "
            f"conf={self.confidence:4.2f} fps={self.fps:5.1f} "
            f"render={self.render_ms:5.1f}ms latency={self.latency_ms:5.1f}ms "
            f"ahead={self.ahead_ms:5.1f}ms "
            f"res={self.internal_size[0]}x{self.internal_size[1]} drops={self.drops} "
            f"input={self.input} reconnects={self.reconnects} "
            f"overflows={self.overflows} lost={self.lost}{midi}"
        )


@dataclass(frozen=True)
class InputTap:
    """The current input for the window's scopes, read without disturbing the analysis:
    the audio ring (``read`` with its own cursor), its rate, and the analysis frames
    (``history(after)``). A new tap after each input switch."""

    ring: Any
    samplerate: int
    frame_rate: float  # analysis frames per second
    history: Callable[[int], list]
    device_name: str | None  # None: a file plays as input


def load_controller_map(name_or_path: str | Path, registry):
    """A shipped map by name or a map file; (map, problems). Unusable files raise UserError."""
    from app.midi.mapping import CONTROLLER_MAPS_DIR, load_map

    path = Path(name_or_path)
    if not path.suffix:
        path = CONTROLLER_MAPS_DIR / f"{name_or_path}.json"
        if not path.exists():
            shipped = ", ".join(sorted(p.stem for p in CONTROLLER_MAPS_DIR.glob("*.json")))
            raise UserError(
                f"--midi-map {str(name_or_path)!r}: no such shipped map (shipped: {shipped})"
            )
    return load_map(path, registry)
