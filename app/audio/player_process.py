"""File playback for the live engine, its output stream in a child process.

The stream's callback is Python and needs the GIL. With a JACK server in synchronous mode
the server waits for that callback every period, and a JACK MIDI client opened meanwhile
by the engine (python-rtmidi holds the GIL while it talks to the server) waits for the
server: both stall until JACK's timeouts, and the MIDI port fails to open (measured: 5 s
stalls, every other open failing). As with live input (live_input.LiveInput), PortAudio
therefore runs in a child process that writes what it plays into a shared-memory ring;
with no output device the clip plays in this process on an internal clock.
"""

from __future__ import annotations

import os

from app.core.errors import UserError

from .file_player import FilePlayer
from .live_input import end_child, import_sounddevice
from .loading import AudioClip
from .ring import AudioRing

HANDSHAKE_S = 10.0


def _player_child(conn, clip: AudioClip, device, blocksize: int, ring_seconds: float) -> None:
    """The output process: open the device (resampling the clip to its rate if need be),
    play into the engine's shared ring, follow play / stop messages until told to end (or
    until the engine process is gone)."""
    parent = os.getppid()
    try:
        sd = import_sounddevice()
        if device is None and not any(d["max_output_channels"] > 0 for d in sd.query_devices()):
            conn.send(("error", "no output device"))
            return
        player = FilePlayer(clip, device=device, blocksize=blocksize, ring_seconds=ring_seconds)
        player.match_device_rate(sd)  # raises when nothing can play it
        conn.send(("rate", player.sr, player.channels))
        player.ring = AudioRing.attach(conn.recv(), int(ring_seconds * player.sr), player.channels)
        player.start()
        if player.output_name is None:  # the stream did not open after all
            player.stop()
            conn.send(("error", "the output stream did not open"))
            return
        conn.send(("ready", player.output_name))
        while True:
            if conn.poll(0.5):
                message = conn.recv()
                if message == "stop":
                    break
                player.set_playing(message[1])
            elif os.getppid() != parent:
                break
        player.stop()
    except Exception as exc:  # reported to the engine, which plays on its internal clock
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


class PlayerProcess:
    """A clip played to the output device by a child process (or, without one, on an
    internal clock in this process); ``ring`` receives what is played, at ``sr``."""

    def __init__(
        self,
        clip: AudioClip,
        device: str | int | None = None,
        blocksize: int = 512,
        ring_seconds: float = 4.0,
    ) -> None:
        self.clip = clip
        self.device = device
        self.blocksize = blocksize
        self.ring_seconds = ring_seconds
        self.sr = clip.sr
        self.output_name: str | None = None
        self.ring: AudioRing | None = None
        self.playing = True
        self._local: FilePlayer | None = None
        self.fallback_reason: str | None = None  # why it plays on the internal clock
        self._process = None
        self._conn = None

    def start(self) -> "PlayerProcess":
        try:
            self._spawn()
        except UserError as exc:
            self.fallback_reason = str(exc)
            self._local = FilePlayer(
                self.clip,
                blocksize=self.blocksize,
                ring_seconds=self.ring_seconds,
                use_output=False,
            ).start()
            self.ring, self.sr = self._local.ring, self._local.sr
        return self

    def _spawn(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # never fork a process that holds torch threads
        self._conn, child_conn = ctx.Pipe()
        self._process = ctx.Process(
            target=_player_child,
            name="latentvj-audio-output",
            daemon=True,
            args=(child_conn, self.clip, self.device, self.blocksize, self.ring_seconds),
        )
        self._process.start()
        try:
            message = self._receive()
            if message[0] == "rate":
                _, self.sr, channels = message
                self.ring = AudioRing.shared(int(self.ring_seconds * self.sr), channels)
                self._conn.send(self.ring.name)
                message = self._receive()
            if message[0] != "ready":
                raise UserError(f"audio output: {message[-1]}")
            self.output_name = message[1]
        except BaseException:
            self._end_process()
            if self.ring is not None:
                self.ring.close(unlink=True)
                self.ring = None
            self.output_name = None
            raise

    def _receive(self):
        if not self._conn.poll(HANDSHAKE_S):
            raise UserError(f"audio output: the device did not open within {HANDSHAKE_S:g} s")
        try:
            return self._conn.recv()
        except EOFError:
            raise UserError("audio output: the output process ended while opening") from None

    def set_playing(self, playing: bool) -> None:
        """Stop (silence goes out, the input clock runs on) or play from the start."""
        self.playing = playing
        if self._local is not None:
            self._local.set_playing(playing)
        elif self._conn is not None:
            self._conn.send(("playing", playing))

    def _end_process(self) -> None:
        if self._process is not None:
            end_child(self._process, self._conn, wait_s=2.0)
            self._process = self._conn = None

    def stop(self) -> None:
        if self._local is not None:
            self._local.stop()
            return
        self._end_process()
        if self.ring is not None:
            self.ring.close(unlink=True)
            self.ring = None
