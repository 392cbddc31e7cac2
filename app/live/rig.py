"""The rig: what a live session listens to. ``DeviceRig`` opens the real things (an audio
input device in its capture process, or a file played to the output, and the MIDI system);
a session is built on any object with the same two methods, so the session's logic is
unit-tested with sources written by the test (no sound card, MIDI system or JACK).

An ``AudioFeed`` is one audio input as the session sees it: a ring the analyzer reads,
what to say about it, and its health for the status line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.audio.ring import AudioRing
from app.core.errors import UserError


@dataclass(frozen=True)
class InputHealth:
    """How the input is doing: ``state`` is ``ok`` / ``lost`` / ``reconnecting`` for a
    device, ``file`` for a file played as input."""

    state: str = "file"
    reconnects: int = 0
    overflows: int = 0
    error: str | None = None


class AudioFeed(Protocol):
    samplerate: int
    where: str  # one line for the status: the device, or the file and where it plays
    device_name: str | None  # the input device; None while a file plays as input

    @property
    def ring(self) -> AudioRing: ...

    def mono(self, block: np.ndarray) -> np.ndarray: ...

    def recorded_channels(self) -> tuple[int, ...]: ...

    def health(self) -> InputHealth: ...

    def set_playing(self, playing: bool) -> None: ...

    def stop(self) -> None: ...


class Rig(Protocol):
    def open_audio(
        self,
        device: str | None,
        play: str | None,
        samplerate: float | None,
        channels: list[int] | None,
    ) -> AudioFeed:
        """An input device (``play`` None), or a file played as input (``"demo"``: the
        built-in track). Raises UserError naming the device or file."""

    def midi_system(self, api: str | None) -> tuple[str, Callable[..., Any] | None]:
        """(the MIDI API to use, a factory for the session's inputs or None for the real
        ports). Raises UserError when this machine has no MIDI system."""


class DeviceInput:
    """An input device, captured in its own process, watched by a supervisor that reopens
    it when it goes away."""

    def __init__(
        self, device: str | None, samplerate: float | None, channels: list[int] | None
    ) -> None:
        from app.audio.live_input import InputSupervisor, LiveInput

        self.live = LiveInput(device, samplerate, channels).start()
        self.supervisor = InputSupervisor(self.live).start()
        self.samplerate = self.live.samplerate
        self.device_name: str | None = self.live.device.name
        self.where = f"input '{self.device_name}' at {self.samplerate} Hz (capture process)"

    @property
    def ring(self) -> AudioRing:
        return self.live.ring

    def mono(self, block: np.ndarray) -> np.ndarray:
        return self.live.mono(block)

    def recorded_channels(self) -> tuple[int, ...]:
        return tuple(c - 1 for c in self.live.channels)

    def health(self) -> InputHealth:
        sup = self.supervisor
        return InputHealth(
            sup.state,
            sup.reconnects,
            self.live.overflows,
            sup.last_error if sup.state != "ok" else None,
        )

    def set_playing(self, playing: bool) -> None:
        """A device cannot be stopped by the transport: it plays on."""

    def stop(self) -> None:
        self.supervisor.stop()
        self.live.stop()


class FilePlayback:
    """A file (or the demo track) played to the output device, whose ring is the input;
    on the internal clock when there is no output device."""

    device_name = None

    def __init__(self, play: str) -> None:
        from app.audio.demo_track import demo_clip
        from app.audio.loading import load_audio_file
        from app.audio.player_process import PlayerProcess

        clip = demo_clip() if play == "demo" else load_audio_file(play)
        self.player = PlayerProcess(clip).start()
        self.samplerate = self.player.sr
        self.where = (
            f"playing '{clip.name}' to {self.player.output_name}"
            if self.player.output_name
            else f"playing '{clip.name}' on the internal clock ({self.player.fallback_reason})"
        )

    @property
    def ring(self) -> AudioRing:
        return self.player.ring

    @property
    def playing(self) -> bool:
        return self.player.playing

    def mono(self, block: np.ndarray) -> np.ndarray:
        return block.mean(axis=1)

    def recorded_channels(self) -> tuple[int, ...]:
        return tuple(range(self.ring.channels))

    def health(self) -> InputHealth:
        return InputHealth()

    def set_playing(self, playing: bool) -> None:
        self.player.set_playing(playing)

    def stop(self) -> None:
        self.player.stop()


class DeviceRig:
    """The real rig: PortAudio devices (through their processes) and rtmidi ports."""

    def open_audio(
        self,
        device: str | None,
        play: str | None,
        samplerate: float | None,
        channels: list[int] | None,
    ) -> AudioFeed:
        if play is None:
            try:
                return DeviceInput(device, samplerate, channels)
            except UserError:
                if device is not None:
                    raise
                play = "demo"  # no input device: play the demo track instead
        return FilePlayback(play)

    def midi_system(self, api: str | None) -> tuple[str, Callable[..., Any] | None]:
        from app.midi.ports import resolve_api

        return resolve_api(api), None
