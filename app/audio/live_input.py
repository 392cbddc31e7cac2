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
        raise UserError(
            f"audio: PortAudio is not installed ({describe(exc)}); on "
            "Debian/Ubuntu: apt-get install libportaudio2"
        ) from None
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
    return [
        InputDevice(
            i,
            d["name"],
            apis[d["hostapi"]]["name"],
            d["max_input_channels"],
            d["default_samplerate"],
        )
        for i, d in enumerate(sd.query_devices())
        if d["max_input_channels"] > 0
    ]


def find_input_device(spec: str | int | None) -> InputDevice:
    """The input device by index, by name substring (case-insensitive), or the default.
    UserError naming the device spec and listing what exists when there is no match."""
    devices = list_input_devices()
    if not devices:
        named = f" {spec!r}" if spec not in (None, "") else ""
        raise UserError(
            f"--audio-device{named}: this machine has no audio input devices "
            "(use --play FILE to analyse a file instead)"
        )
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


def _input_child(conn, spec, samplerate, channels, blocksize, ring_seconds, jack_name):
    """The input process: open the device, then copy every callback block into the shared
    ring until told to stop (or until the engine process is gone)."""
    import os

    parent = os.getppid()
    try:
        if jack_name:
            set_jack_client_name(jack_name)
        device = find_input_device(spec)
        rate = int(samplerate or device.default_samplerate)
        wanted = channels or list(range(1, device.max_channels + 1))
        bad = [c for c in wanted if not 1 <= c <= device.max_channels]
        if bad:
            raise UserError(
                f"--channels {bad[0]}: device '{device.name}' has "
                f"{device.max_channels} input channels"
            )
        conn.send(("device", device, rate, wanted))
        reply = conn.recv()
        ring = AudioRing.attach(reply, int(ring_seconds * rate), max(wanted))

        def callback(indata, frames, time_info, status):  # PortAudio's thread: copy, count
            if status.input_overflow:
                ring.count_overflow()
            ring.write(indata)

        sd = import_sounddevice()
        try:
            stream = sd.InputStream(
                device=device.index,
                samplerate=rate,
                channels=max(wanted),
                blocksize=blocksize,
                dtype="float32",
                callback=callback,
            )
            stream.start()
        except Exception as exc:
            raise UserError(
                f"--audio-device '{device.name}': cannot open input at {rate} Hz ({describe(exc)})"
            ) from None
        conn.send(("ready",))
        while not conn.poll(0.5):
            if os.getppid() != parent:  # the engine is gone: do not outlive it
                break
        stream.close()
    except UserError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:
        conn.send(("error", f"audio input: {describe(exc)}"))


def end_child(process, conn, wait_s: float = 1.0) -> None:
    """End an audio child process: ask it to stop, and kill it if it has not within
    ``wait_s`` (hung in native audio code); closes its pipe."""
    if process.is_alive():
        try:
            conn.send("stop")
        except OSError:
            pass
        process.join(wait_s)
    if process.is_alive():
        process.kill()
        process.join(2.0)
    conn.close()


class LiveInput:
    """Live input from a device, captured by a child process into a shared-memory ring.

    PortAudio runs in the child: if the device or the audio server disappears, native code
    may hang there, and ``reopen`` simply kills that process and starts a new one on the same
    device name, writing on into the same ring. The engine never calls PortAudio for input.
    """

    HANDSHAKE_S = 10.0

    def __init__(
        self,
        device: str | int | None = None,
        samplerate: float | None = None,
        channels: list[int] | None = None,
        blocksize: int = 512,
        ring_seconds: float = 4.0,
        jack_name: str | None = None,
    ) -> None:
        self.spec = device
        self.requested_rate = samplerate
        self.requested_channels = channels
        self.blocksize = blocksize
        self.ring_seconds = ring_seconds
        self.jack_name = jack_name
        self.device: InputDevice | None = None
        self.samplerate = 0
        self.channels: list[int] = []
        self.ring: AudioRing | None = None
        self._process = None
        self._conn = None

    def _spawn(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # never fork a process that holds torch threads
        parent_conn, child_conn = ctx.Pipe()
        process = ctx.Process(
            target=_input_child,
            name="latentvj-audio-input",
            daemon=True,
            args=(
                child_conn,
                self.spec,
                self.requested_rate,
                self.requested_channels,
                self.blocksize,
                self.ring_seconds,
                self.jack_name,
            ),
        )
        process.start()
        self._process, self._conn = process, parent_conn
        try:
            message = self._receive()
            if message[0] == "device":
                _, device, rate, wanted = message
                if self.ring is None:
                    self.device, self.samplerate, self.channels = device, rate, wanted
                    self.spec = self.spec if self.spec is not None else device.name
                    self.ring = AudioRing.shared(int(self.ring_seconds * rate), max(wanted))
                elif (rate, max(wanted)) != (self.samplerate, self.ring.channels):
                    raise UserError(
                        f"--audio-device '{device.name}' came back with another "
                        "sample rate or channel count"
                    )
                parent_conn.send(self.ring.name)
                message = self._receive()
            if message[0] == "error":
                raise UserError(message[1])
        except BaseException:
            self._kill()
            raise

    def _receive(self):
        if not self._conn.poll(self.HANDSHAKE_S):
            raise UserError(
                f"--audio-device {self.spec!r}: the audio input did not open "
                f"within {self.HANDSHAKE_S:g} s"
            )
        try:
            return self._conn.recv()
        except EOFError:
            raise UserError(
                f"--audio-device {self.spec!r}: the audio input process "
                "ended while opening the device"
            ) from None

    def _kill(self) -> None:
        if self._process is not None:
            end_child(self._process, self._conn)
            self._process = self._conn = None

    def start(self) -> "LiveInput":
        self._spawn()
        return self

    @property
    def overflows(self) -> int:
        return self.ring.overflows if self.ring else 0

    @property
    def callbacks(self) -> int:
        return self.ring.callbacks if self.ring else 0

    def stop(self) -> None:
        """Stop capturing and release the ring."""
        self._kill()
        if self.ring is not None:
            self.ring.close(unlink=True)
            self.ring = None

    def reopen(self) -> None:
        """End the input process (whatever state it is in) and open the device again by its
        name, writing on into the same ring. Raises UserError while the device is absent."""
        self._kill()
        self._spawn()

    def mono(self, block: np.ndarray) -> np.ndarray:
        """Mix the selected channels of a ring block to mono (reader thread)."""
        return block[:, [c - 1 for c in self.channels]].mean(axis=1)


class InputSupervisor:
    """Watches a LiveInput from a slow thread: no new audio for ``timeout_s`` means the
    device (or the audio server) went away; it then tries to reopen it every ``retry_s``.
    The engine never waits for this: analysis and rendering go on, on the tempo clock."""

    def __init__(self, live: LiveInput, timeout_s: float = 1.0, retry_s: float = 2.0) -> None:
        import threading

        self.live = live
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.state = "ok"
        self.reconnects = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="input-supervisor", daemon=True)

    def start(self) -> "InputSupervisor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import time

        last_written, last_change = self.live.ring.written, time.monotonic()
        while not self._stop.wait(0.25):
            now = time.monotonic()
            if self.live.ring.written != last_written:
                last_written, last_change = self.live.ring.written, now
                self.state = "ok"
                continue
            if now - last_change < self.timeout_s:
                continue
            self.state = "lost"
            try:
                self.live.reopen()
                self.reconnects += 1
                self.state = "reconnecting"  # "ok" once audio flows again
                last_change = time.monotonic()
            except UserError as exc:  # still gone: try again later
                self.last_error = str(exc)
                self._stop.wait(self.retry_s)
