"""Recording the live engine: picture and sound on one clock, nothing lost silently.

Every rendered frame carries ``t_s`` on the audio clock (samples analysed / rate), and
shows the beats of ``t_s + lookahead_s`` (live latency compensation). The recorder maps that
instant onto constant-rate slots (``FrameSlots``) and reads the audio under those
same instants from the input ring with its own cursor, so sound and picture share a clock
by construction: no drift over a long set, whatever the sound card's crystal does.

The render thread only hands frames over (``submit`` never waits: a full encoder queue
drops the frame, counts it, and the next frame fills its slot). The audio pump thread
streams the input to ffmpeg; ffmpeg writes Matroska in half-second clusters, so a killed
process leaves a playable file. MP4 is recorded as Matroska and remuxed (no re-encoding)
when the recording stops. A disk that fills, or an encoder that dies, stops the recording
cleanly: the file so far stays, the engine goes on, ``result`` says what happened.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.audio.ring import AudioRing
from app.core.atomic import atomic_write_text
from app.core.errors import UserError, describe
from app.core.types import RenderedFrame
from app.engine.offline import check_output_path
from app.engine.video_writer import (
    QUALITY_PRESETS,
    AudioStream,
    VideoWriter,
    WriterError,
    codec_problem,
    ffmpeg_exe,
)

QUEUE_S = 1.0  # encoder queue: this much picture may wait for the encoder
AUDIO_POLL_S = 0.01  # the audio pump looks for new input this often
AUDIO_WAIT_S = 1.0  # at stop, wait this long for the last audio before padding silence
STALE_S = 0.25  # a frame drawn this long after its newest audio (the input is gone)
# is not recorded: the outage is cut out, sound and picture stay together
SIDECAR_EVERY_S = 2.0
SCHEMA_VERSION = 1


def sidecar_path(path: Path) -> Path:
    """``set.mkv`` -> ``set.recording.json`` (settings, preset, drop counts, status)."""
    return path.with_name(f"{path.stem}.recording.json")


def performance_path(path: Path) -> Path:
    """``set.mkv`` -> ``set.performance.jsonl`` (the performance log for --replay)."""
    return path.with_name(f"{path.stem}.performance.jsonl")


class FrameSlots:
    """Constant-rate output slots for frames stamped with stream time (pure logic).

    Slot k is on screen from t0 + k/fps to t0 + (k+1)/fps and shows the frame drawn in
    that interval (the instant a frame depicts lies inside its display interval, as in the
    offline renderer). A slot no frame reached repeats the frame before it (the renderer
    skipped a tick); of two frames in one slot the newer wins (an onset drew an extra
    frame); a frame older than the slots already written is ignored (its clock went back).
    ``add`` returns what to write: (item, number of slots) pairs.
    """

    def __init__(self, t0_s: float, fps: float) -> None:
        self.t0_s, self.fps = t0_s, fps
        self.next_slot = 0  # the first slot not yet written; the pending item starts there
        self.pending: object | None = None
        self.repeated = 0  # slots that repeat the frame before (no frame of their own)
        self.replaced = 0  # frames that a newer frame in the same slot replaced
        self.stale = 0

    def slot(self, t_s: float) -> int:
        return math.floor((t_s - self.t0_s) * self.fps + 1e-9)

    def add(self, t_s: float, item: object) -> list[tuple[object, int]]:
        s = self.slot(t_s)
        if s < self.next_slot:
            self.stale += 1
            return []
        if self.pending is None or s == self.next_slot:
            self.replaced += self.pending is not None
            self.pending = item
            return []
        out = [(self.pending, s - self.next_slot)]
        self.repeated += s - self.next_slot - 1
        self.next_slot, self.pending = s, item
        return out

    def finish(self) -> list[tuple[object, int]]:
        """Write the pending frame into its slot; the video ends after it."""
        if self.pending is None:
            return []
        out = [(self.pending, 1)]
        self.next_slot += 1
        self.pending = None
        return out


@dataclass(frozen=True)
class RecordingSettings:
    """What to record: the file (.mkv default, .mp4, .mov), its size (None: the render
    size), codec (h264, prores, hap when offered) and quality preset."""

    path: Path
    size: tuple[int, int] | None = None
    codec: str = "h264"
    quality: str = "standard"

    def check(self, render_size: tuple[int, int]) -> None:
        """Raise UserError naming the file when it cannot be recorded as asked."""
        path = self.path
        check_output_path(path, "record")
        if path.exists():  # a recording is never overwritten: it may be last night's set
            raise UserError(f"record '{path}': already exists (choose another name)")
        if self.quality not in QUALITY_PRESETS:
            raise UserError(
                f"record quality {self.quality!r}: use one of {', '.join(QUALITY_PRESETS)}"
            )
        problem = codec_problem(self.codec, path, self.size or render_size)
        if problem:
            raise UserError(f"record '{path}': {problem}")


@dataclass(frozen=True)
class AudioSource:
    """Where the recorded sound comes from: the input ring, the ring index of analysis
    time 0, the rate, and which ring channels to keep (0-based)."""

    ring: AudioRing
    origin: int
    sr: int
    channels: tuple[int, ...]


@dataclass
class RecordingResult:
    """How a recording ended: the file, its length, the counts, and the error if any."""

    path: Path
    duration_s: float = 0.0
    frames: int = 0
    dropped: int = 0
    repeated: int = 0
    stale: int = 0
    audio_lost_s: float = 0.0
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def line(self) -> str:
        head = f"recording stopped: {self.error}; kept" if self.error else "recorded"
        return (
            f"{head} '{self.path}' ({self.duration_s:.1f} s, {self.frames} frames, "
            f"{self.dropped} dropped, {self.repeated} repeated)"
        )


class Recorder:
    """Records frames (``submit``, render thread) and the input audio to a file.

    ``start(t0_s)`` begins at stream time ``t0_s``; ``finish()`` (any thread, never waits)
    ends it on a finisher thread; ``wait()`` returns the RecordingResult. A failure while
    recording finishes it the same way; ``on_finished(result)`` hears the end.
    """

    def __init__(
        self,
        settings: RecordingSettings,
        render_size: tuple[int, int],
        fps: float,
        audio: AudioSource | None,
        info: dict | None = None,
        on_finished: Callable[[RecordingResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.path = settings.path
        self.render_size = render_size
        self.fps = fps
        self.audio = audio
        self.info = info or {}
        self.on_finished = on_finished
        self.mp4 = self.path.suffix.lower() == ".mp4"
        # MP4 cannot be read until it is finished: record Matroska, remux at the end
        self.recording_path = (
            self.path.with_name(f"{self.path.stem}.partial.mkv") if self.mp4 else self.path
        )
        self.writer: VideoWriter | None = None
        self.slots: FrameSlots | None = None
        self.t0_s = 0.0
        self.started_wall = 0.0
        self._lock = threading.Lock()
        self._active = False
        self._finishing = threading.Event()
        self._done = threading.Event()
        self._end_sample: int | None = None
        self._pump: threading.Thread | None = None
        self.error: str | None = None
        self._failed = False
        self.audio_lost = 0
        self.result: RecordingResult | None = None

    # -- starting --------------------------------------------------------------------------
    def start(self, t0_s: float) -> "Recorder":
        s = self.settings
        self.t0_s = t0_s
        self.slots = FrameSlots(t0_s, self.fps)
        stream = AudioStream(self.audio.sr, len(self.audio.channels)) if self.audio else None
        self.writer = VideoWriter(
            self.recording_path,
            self.render_size,
            self.fps,
            stream,
            QUALITY_PRESETS[s.quality],
            queue_frames=max(2, round(QUEUE_S * self.fps)),
            codec=s.codec,
            out_size=s.size,
            container="matroska" if self.mp4 else None,
            low_latency=True,
        )
        try:
            self.writer.start()
        except WriterError as exc:
            raise UserError(f"record '{self.path}': {exc}") from None
        self.started_wall = time.monotonic()
        self._active = True
        self._write_sidecar("recording")
        self._pump = threading.Thread(target=self._pump_audio, name="record-audio", daemon=True)
        self._pump.start()
        return self

    @property
    def active(self) -> bool:
        return self._active

    @property
    def elapsed_s(self) -> float:
        return self.slots.next_slot / self.fps if self.slots else 0.0

    # -- the render thread -----------------------------------------------------------------
    def submit(self, frame: RenderedFrame) -> None:
        """Hand a rendered frame over (render thread; never waits)."""
        if (
            not self._active
            or frame.error is not None
            or frame.timings.get("analysis_age_ms", 0.0) > 1e3 * STALE_S
        ):
            return
        with self._lock:
            if not self._active:
                return
            try:
                # a frame drawn ahead (latency compensation) shows the beats of t_s +
                # lookahead: in the file it goes there, so its beats meet the sound's
                for image, slots in self.slots.add(frame.shown_s, frame.image):
                    self.writer.write(image, block=False, repeat=slots)
            except WriterError:  # why is asked on the finisher thread: it may wait
                self._fail()

    # -- the audio pump --------------------------------------------------------------------
    def _pump_audio(self) -> None:
        src, writer = self.audio, self.writer
        last_sidecar = time.monotonic()
        cursor = src.origin + round(self.t0_s * src.sr) if src else 0
        waited_since: float | None = None
        try:
            while src is not None:
                end = self._end_sample
                if end is not None and cursor >= end:
                    break
                written = src.ring.written
                if written > cursor:
                    want = None if end is None else end - cursor
                    block, new_cursor, lost = src.ring.read(cursor, want)
                    if lost:  # the pump fell a ring behind: silence keeps the sync
                        self.audio_lost += lost
                        writer.write_audio(np.zeros((lost, len(src.channels)), np.float32))
                    writer.write_audio(block[:, list(src.channels)])
                    cursor, waited_since = new_cursor, None
                elif end is not None:  # stopping, and the input has not caught up yet
                    waited_since = waited_since or time.monotonic()
                    if time.monotonic() - waited_since > AUDIO_WAIT_S:
                        gap = end - cursor
                        writer.write_audio(np.zeros((gap, len(src.channels)), np.float32))
                        self.audio_lost += gap
                        cursor = end
                    else:
                        time.sleep(AUDIO_POLL_S)
                else:  # the input's pace: a block arrives every few milliseconds
                    time.sleep(AUDIO_POLL_S)
                if self._active and time.monotonic() - last_sidecar > SIDECAR_EVERY_S:
                    last_sidecar = time.monotonic()
                    self._write_sidecar("recording")
        except WriterError:
            self._fail()
        finally:
            writer.close_audio()

    # -- finishing -------------------------------------------------------------------------
    def _fail(self) -> None:
        self._failed = True
        self.finish()

    def finish(self) -> None:
        """End the recording (any thread; returns at once, a finisher thread does it)."""
        if self._finishing.is_set():
            return
        self._finishing.set()
        threading.Thread(target=self._finish, name="record-finish", daemon=True).start()

    def wait(self, timeout: float | None = None) -> RecordingResult | None:
        self._done.wait(timeout)
        return self.result

    def _finish(self) -> None:
        writer = self.writer
        with self._lock:  # from here on the render thread hands nothing over
            self._active = False
        if self._failed:
            self.error = writer.failure() or "the encoder stopped"
        if self.error is None:
            with contextlib.suppress(WriterError):
                for image, slots in self.slots.finish():
                    writer.write(image, block=True, repeat=slots)
        if self.audio is not None:  # the sound ends where the picture does
            self._end_sample = self.audio.origin + round(
                (self.t0_s + self.slots.next_slot / self.fps) * self.audio.sr
            )
        if self._pump is not None:
            self._pump.join()
        try:
            writer.close()
        except WriterError:
            self.error = self.error or writer.failure()
        if self.mp4 and self.error is None:
            self._remux()
        self.result = RecordingResult(
            path=self.path if self.mp4 and self.error is None else self.recording_path,
            duration_s=self.slots.next_slot / self.fps,
            frames=writer.frames_written,
            dropped=writer.frames_dropped,
            repeated=self.slots.repeated,
            stale=self.slots.stale,
            audio_lost_s=self.audio_lost / self.audio.sr if self.audio else 0.0,
            error=self.error,
        )
        self._write_sidecar("stopped" if self.error else "complete")
        if self.on_finished is not None:  # before wait() returns: its notice is queued
            self.on_finished(self.result)
        self._done.set()

    def _remux(self) -> None:
        """The Matroska recording into the MP4 asked for, streams copied as they are."""
        tmp = self.path.with_name(f".{self.path.stem}.remux.mp4")
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(self.recording_path),
            "-map",
            "0",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(tmp),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tmp.unlink(missing_ok=True)
            self.error = (
                f"MP4 remux failed ({done.stderr.strip()[-200:]}); the recording "
                f"is in '{self.recording_path}'"
            )
            return
        tmp.replace(self.path)
        self.recording_path.unlink()

    def _write_sidecar(self, status: str) -> None:
        """Settings, preset and counts beside the file, rewritten atomically as it goes."""
        s, w = self.settings, self.writer
        data = {
            "schema_version": SCHEMA_VERSION,
            "status": status,
            "error": self.error,
            "file": (self.path if status == "complete" else self.recording_path).name,
            "started": datetime.datetime.fromtimestamp(
                time.time() - (time.monotonic() - self.started_wall)
            ).isoformat(timespec="seconds"),
            "duration_s": round(self.elapsed_s, 3),
            "fps": self.fps,
            "size": list(s.size or self.render_size),
            "render_size": list(self.render_size),
            "codec": s.codec,
            "quality": s.quality,
            "frames_written": w.frames_written if w else 0,
            "frames_dropped": w.frames_dropped if w else 0,
            "slots_repeated": self.slots.repeated if self.slots else 0,
            "frames_stale": self.slots.stale if self.slots else 0,
            "audio": None
            if self.audio is None
            else {
                "sr": self.audio.sr,
                "channels": len(self.audio.channels),
                "lost_s": round(self.audio_lost / self.audio.sr, 4),
            },
            "stream_t0_s": self.t0_s,
            "performance_log": performance_path(self.path).name,
            **self.info,
        }
        try:
            atomic_write_text(
                sidecar_path(self.path), json.dumps(data, indent=2, sort_keys=True) + "\n"
            )
        except (OSError, UserError) as exc:  # a full disk: the recording is what matters
            if self.error is None and status != "recording":
                self.error = f"sidecar not written ({describe(exc, 120)})"
