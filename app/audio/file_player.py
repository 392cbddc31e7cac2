"""File playback as live input: plays a clip to an output device and hands the same samples
to the analyzer through a ring, as if they came from an input (rehearsal, demos).

With no output device (no sound card, no PortAudio) it runs on an internal clock, writing
the clip into the ring at real-time pace, so the live engine still sees music. A device that
runs at another rate than the file (a JACK server) gets the clip resampled to its rate.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

import numpy as np

from app.core.errors import UserError

from .loading import AudioClip
from .ring import AudioRing


class FilePlayer:
    """Plays ``clip`` (looping when ``loop``); ``ring`` receives what is played."""

    def __init__(
        self,
        clip: AudioClip,
        device: str | int | None = None,
        loop: bool = True,
        blocksize: int = 512,
        ring_seconds: float = 4.0,
        use_output: bool = True,
    ) -> None:
        self.clip = clip
        self.sr = clip.sr
        self.loop = loop
        self.blocksize = blocksize
        self._samples = np.ascontiguousarray(clip.samples.T)  # [n, channels]
        self.channels = self._samples.shape[1]
        self.ring_seconds = ring_seconds
        self.ring = AudioRing(int(ring_seconds * self.sr), self.channels)
        self.position = 0  # frames played
        self.playing = True  # stopped: silence goes out and the clock runs on
        self.finished = threading.Event()
        self.device = device
        self.use_output = use_output
        self.output_name: str | None = None
        self._stream = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def set_playing(self, playing: bool) -> None:
        """Stop (silence) or play from the start; any thread. The position is reset while
        stopped, when the audio thread no longer moves it."""
        if playing and not self.playing:
            self.position = 0
        self.playing = playing

    def _next_block(self, out: np.ndarray) -> None:
        """Fill ``out`` [frames, channels] from the clip (zeros past the end unless looping,
        and while stopped)."""
        n_total = len(self._samples)
        filled = 0
        if not self.playing:
            out[:] = 0.0
            filled = len(out)
        while filled < len(out):
            start = self.position % n_total if self.loop else self.position
            if start >= n_total:
                out[filled:] = 0.0
                self.finished.set()
                break
            take = min(len(out) - filled, n_total - start)
            np.copyto(out[filled : filled + take], self._samples[start : start + take])
            filled += take
            self.position += take
        self.ring.write(out)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self._next_block(outdata)

    def _clocked(self) -> None:
        block = np.zeros((self.blocksize, self.channels), dtype=np.float32)
        t0 = time.monotonic()
        while not self._stop.is_set() and not self.finished.is_set():
            due = int((time.monotonic() - t0) * self.sr)
            while self.position + self.blocksize <= due:
                self._next_block(block)
            self._stop.wait(self.blocksize / self.sr / 2)

    def match_device_rate(self, sd: Any) -> None:
        """A device that cannot play the clip's rate (a JACK server runs at its own, say
        48 kHz, and PortAudio does not convert) gets the clip resampled once, here, to the
        device's rate; the ring then carries that rate (``sr``)."""
        settings = dict(device=self.device, channels=self.channels, dtype="float32")
        try:
            sd.check_output_settings(samplerate=self.sr, **settings)
        except sd.PortAudioError:
            rate = int(sd.query_devices(self.device, "output")["default_samplerate"])
            if rate == self.sr:
                raise
            sd.check_output_settings(samplerate=rate, **settings)
            import librosa

            self._samples = np.ascontiguousarray(
                librosa.resample(
                    self._samples.T, orig_sr=self.sr, target_sr=rate, res_type="soxr_hq"
                ).T,
                dtype=np.float32,
            )
            self.sr = rate
            self.ring = AudioRing(int(self.ring_seconds * rate), self.channels)

    def start(self) -> "FilePlayer":
        if self.use_output:
            try:
                from .live_input import import_sounddevice

                sd = import_sounddevice()
                self.match_device_rate(sd)
                self._stream = sd.OutputStream(
                    device=self.device,
                    samplerate=self.sr,
                    channels=self.channels,
                    blocksize=self.blocksize,
                    dtype="float32",
                    callback=self._callback,
                )
                self._stream.start()
                self.output_name = sd.query_devices(self._stream.device)["name"]
                return self
            except UserError:
                raise
            except Exception:  # no output device: play on the internal clock instead
                self._stream = None
        self._thread = threading.Thread(target=self._clocked, name="file-player", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._thread is not None:
            self._thread.join()


def main(argv: list[str] | None = None) -> int:
    """``python -m app.audio.file_player FILE``: play a file to an output device (used by the
    IO tests as an external JACK client)."""
    from .live_input import set_jack_client_name
    from .loading import load_audio_file

    parser = argparse.ArgumentParser(prog="file_player")
    parser.add_argument("file")
    parser.add_argument("--jack-name", help="JACK client name")
    parser.add_argument("--device")
    args = parser.parse_args(argv)
    try:
        if args.jack_name:
            set_jack_client_name(args.jack_name)
        player = FilePlayer(load_audio_file(args.file), device=args.device, loop=False)
        player.start()
    except UserError as exc:
        print(f"file_player: error: {exc}", file=sys.stderr)
        return 2
    print("playing", flush=True)
    player.finished.wait()
    time.sleep(0.2)  # let the last blocks drain through the device
    player.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
