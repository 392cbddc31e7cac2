"""Live audio input through sounddevice (PortAudio).

The PortAudio callback copies each block into a preallocated ring and counts overflows;
nothing else (DESIGN §3). The analyzer thread reads the ring with its own cursor and mixes
the selected channels to mono there.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.errors import UserError, describe

from .ring import AudioRing

_client_name_buffer: ctypes.Array | None = None  # PortAudio keeps the pointer: keep it alive


def import_sounddevice() -> Any:
    """sounddevice, or a UserError saying which system library is missing."""
    try:
        import sounddevice
    except OSError as exc:
        raise UserError(f"audio: PortAudio is not installed ({describe(exc)}); on "
                        "Debian/Ubuntu: apt-get install libportaudio2") from None
    return sounddevice


def set_jack_client_name(name: str) -> None:
    """Name the JACK client PortAudio opens (else 'PortAudio'); takes effect at the next
    PortAudio initialisation, so this re-initialises it when no stream is open."""
    global _client_name_buffer
    sd = import_sounddevice()
    try:
        lib = ctypes.CDLL(sd._libname)
        setter = lib.PaJack_SetClientName
    except (OSError, AttributeError):
        return  # a PortAudio without the JACK host API: nothing to name
    _client_name_buffer = ctypes.create_string_buffer(name.encode())
    setter(_client_name_buffer)
    while sd._initialized:
        sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    hostapi: str
    max_channels: int
    default_samplerate: float


def list_input_devices() -> list[InputDevice]:
    sd = import_sounddevice()
    apis = sd.query_hostapis()
    return [InputDevice(i, d["name"], apis[d["hostapi"]]["name"], d["max_input_channels"],
                        d["default_samplerate"])
            for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


def find_input_device(spec: str | int | None) -> InputDevice:
    """The input device by index, by name substring (case-insensitive), or the default.
    UserError naming the device spec and listing what exists when there is no match."""
    devices = list_input_devices()
    if not devices:
        named = f" {spec!r}" if spec not in (None, "") else ""
        raise UserError(f"--audio-device{named}: this machine has no audio input devices "
                        "(use --play FILE to analyse a file instead)")
    if spec is None or spec == "":
        sd = import_sounddevice()
        default = sd.default.device[0]
        return next((d for d in devices if d.index == default), devices[0])
    if isinstance(spec, int) or str(spec).isdigit():
        match = [d for d in devices if d.index == int(spec)]
    else:
        match = [d for d in devices if str(spec).lower() in d.name.lower()]
    if not match:
        names = "; ".join(f"{d.index}: {d.name} ({d.hostapi})" for d in devices)
        raise UserError(f"--audio-device {spec!r}: no such input device (inputs: {names})")
    return match[0]


class LiveInput:
    """An open input stream writing into ``ring``; ``overflows`` counts PortAudio's flags."""

    def __init__(self, device: str | int | None = None, samplerate: float | None = None,
                 channels: list[int] | None = None, blocksize: int = 512,
                 ring_seconds: float = 4.0) -> None:
        self.device = find_input_device(device)
        self.samplerate = int(samplerate or self.device.default_samplerate)
        wanted = channels or list(range(1, self.device.max_channels + 1))
        bad = [c for c in wanted if not 1 <= c <= self.device.max_channels]
        if bad:
            raise UserError(f"--channels {bad[0]}: device '{self.device.name}' has "
                            f"{self.device.max_channels} input channels")
        self.channels = wanted  # 1-based, mixed to mono by the reader
        self.n_open = max(wanted)
        self.blocksize = blocksize
        self.ring = AudioRing(int(ring_seconds * self.samplerate), self.n_open)
        self.overflows = 0
        self.callbacks = 0
        self._stream = None

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's thread: copy, count, nothing else."""
        if status.input_overflow:
            self.overflows += 1
        self.ring.write(indata)
        self.callbacks += 1

    def start(self) -> "LiveInput":
        sd = import_sounddevice()
        try:
            self._stream = sd.InputStream(
                device=self.device.index, samplerate=self.samplerate, channels=self.n_open,
                blocksize=self.blocksize, dtype="float32", callback=self._callback)
            self._stream.start()
        except Exception as exc:
            raise UserError(f"--audio-device '{self.device.name}': cannot open input at "
                            f"{self.samplerate} Hz ({describe(exc)})") from None
        return self

    @property
    def active(self) -> bool:
        return bool(self._stream is not None and self._stream.active)

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def mono(self, block: np.ndarray) -> np.ndarray:
        """Mix the selected channels of a ring block to mono (reader thread)."""
        return block[:, [c - 1 for c in self.channels]].mean(axis=1)
