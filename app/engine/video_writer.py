"""The one video writer, shared by the offline renderer and the live recorder: frames go
through a bounded queue to the ffmpeg that imageio-ffmpeg bundles, fed from the writer's
own thread so generation and encoding overlap.

Audio comes either from a file (the offline renderer's song span) or as a stream that the
caller writes while recording (``write_audio``): ffmpeg reads it from a second stream
(app.engine.audio_link: a pipe on POSIX, a loopback connection elsewhere), so picture and
sound are muxed as they arrive and a crash leaves both in the file.

Matroska output is written in small clusters (``CLUSTER_MS``) and flushed as it goes: a
killed process leaves a file that plays up to the last half second. The offline renderer
uses ``write(block=True)`` (lossless: the producer waits when the encoder is behind); the
live recorder uses ``block=False`` and counts drops.
"""

from __future__ import annotations

import collections
import functools
import queue
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import describe
from app.engine.audio_link import DEFAULT_TRANSPORT, AudioLink

_SENTINEL = None
CLUSTER_MS = 500  # Matroska cluster length: what a killed recording can lose at most


@dataclass(frozen=True)
class EncoderSettings:
    """Quality and speed: ``crf`` and ``preset`` for H.264, ``prores_profile`` (0 proxy ..
    3 HQ) for ProRes, ``hap_format`` (hap, hap_q) for HAP."""

    crf: int = 18
    preset: str = "veryfast"
    audio_bitrate: str = "192k"
    prores_profile: int = 2
    hap_format: str = "hap"


QUALITY_PRESETS = {
    "draft": EncoderSettings(crf=26, preset="ultrafast", prores_profile=0),
    "standard": EncoderSettings(crf=18, preset="veryfast", prores_profile=2),
    "high": EncoderSettings(crf=14, preset="slow", prores_profile=3, hap_format="hap_q"),
}


@dataclass(frozen=True)
class Codec:
    """A video codec we offer: the ffmpeg encoder, its pixel format, the audio codec that
    goes with it, the containers that hold it, and the block size frames must divide by."""

    name: str
    encoder: str
    pix_fmt: str
    audio: tuple[str, ...]
    containers: tuple[str, ...]
    block: int = 2

    def video_args(self, settings: EncoderSettings, low_latency: bool) -> list[str]:
        if self.name == "h264":
            args = ["-preset", settings.preset, "-crf", str(settings.crf)]
            # live: no lookahead or B-frames, so a killed recording loses no buffered frames
            return args + (["-tune", "zerolatency"] if low_latency else [])
        if self.name == "prores":
            return ["-profile:v", str(settings.prores_profile), "-vendor", "apl0"]
        return ["-format", settings.hap_format]


CODECS = {
    "h264": Codec("h264", "libx264", "yuv420p", ("aac",), (".mkv", ".mp4", ".mov")),
    "prores": Codec("prores", "prores_ks", "yuv422p10le", ("pcm_s16le",), (".mkv", ".mov")),
    "hap": Codec("hap", "hap", "rgb0", ("pcm_s16le",), (".mkv", ".mov"), block=4),
}
CONTAINERS = {".mkv": "matroska", ".mp4": "mp4", ".mov": "mov"}


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def offered_codecs() -> tuple[str, ...]:
    """The codecs of CODECS whose encoder the bundled ffmpeg has (``ffmpeg -encoders``)."""
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
    ).stdout
    encoders = set(re.findall(r"^\s*[VAS][\w.]{5}\s+(\S+)", out, re.MULTILINE))
    return tuple(name for name, codec in CODECS.items() if codec.encoder in encoders)


def codec_problem(codec: str, path: Path, size: tuple[int, int]) -> str | None:
    """Why ``codec`` cannot write ``path`` at ``size`` (None when it can)."""
    if codec not in CODECS:
        return f"unknown codec {codec!r} (known: {', '.join(CODECS)})"
    if codec not in offered_codecs():
        return f"codec {codec!r}: this ffmpeg has no {CODECS[codec].encoder} encoder"
    spec = CODECS[codec]
    suffix = path.suffix.lower()
    if suffix not in spec.containers:
        return f"codec {codec!r} goes in {', '.join(spec.containers)} files, not {suffix or 'none'}"
    if size[0] % spec.block or size[1] % spec.block:
        return f"codec {codec!r}: width and height must be multiples of {spec.block}"
    return None


@dataclass(frozen=True)
class AudioStream:
    """Audio the caller streams while recording: float32 frames of ``channels`` at ``sr``."""

    sr: int
    channels: int


class WriterError(RuntimeError):
    """ffmpeg failed or the output could not be written."""


class VideoWriter:
    """Encodes frames (HxWx3 uint8 at ``size``) to ``path``, at ``out_size`` when given;
    the container follows the file's suffix (or ``container``). ``audio`` is a file to mux
    (offline) or an AudioStream fed with ``write_audio`` (live)."""

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        audio: str | Path | AudioStream | None = None,
        settings: EncoderSettings = QUALITY_PRESETS["standard"],
        queue_frames: int = 8,
        codec: str = "h264",
        out_size: tuple[int, int] | None = None,
        container: str | None = None,
        low_latency: bool = False,
        audio_transport: str = DEFAULT_TRANSPORT,
    ) -> None:
        self.path = Path(path)
        self.size = size
        self.out_size = out_size or size
        self.fps = fps
        self.audio = audio
        self.settings = settings
        self.codec = CODECS[codec]
        self.container = container or CONTAINERS.get(self.path.suffix.lower(), "matroska")
        self.low_latency = low_latency
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(maxsize=queue_frames)
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._error: BaseException | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._proc: subprocess.Popen | None = None
        self._audio_link = AudioLink(audio_transport) if isinstance(audio, AudioStream) else None
        self.frames_written = 0
        self.frames_dropped = 0
        self._owed = 0  # slots of dropped frames, filled by the next frame that gets in
        self.audio_frames = 0

    # -- the ffmpeg command ----------------------------------------------------------------
    def _audio_input(self) -> list[str]:
        if isinstance(self.audio, AudioStream):
            return [
                "-f",
                "f32le",
                "-ar",
                str(self.audio.sr),
                "-ac",
                str(self.audio.channels),
                "-i",
                "pipe:AUDIO",
            ]
        return [] if self.audio is None else ["-i", str(self.audio)]

    def _audio_output(self) -> list[str]:
        if self.audio is None:
            return []
        args = ["-c:a", *self.codec.audio]
        if self.codec.audio == ("aac",):
            args += ["-b:a", self.settings.audio_bitrate]
        return args if isinstance(self.audio, AudioStream) else args + ["-shortest"]

    def command(self) -> list[str]:
        w, h = self.size
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-framerate",
            f"{self.fps:g}",
            "-i",
            "pipe:0",
            *self._audio_input(),
            "-map",
            "0:v",
        ]
        if self.audio is not None:
            cmd += ["-map", "1:a"]
        if self.out_size != self.size:
            cmd += ["-vf", f"scale={self.out_size[0]}:{self.out_size[1]}:flags=bicubic"]
        cmd += [
            "-c:v",
            self.codec.encoder,
            "-pix_fmt",
            self.codec.pix_fmt,
            *self.codec.video_args(self.settings, self.low_latency),
            *self._audio_output(),
            "-f",
            self.container,
        ]
        if self.container == "matroska":
            cmd += ["-cluster_time_limit", str(CLUSTER_MS), "-flush_packets", "1"]
        elif self.container == "mp4":
            cmd += ["-movflags", "+faststart"]
        return cmd + [str(self.path)]

    # -- running ---------------------------------------------------------------------------
    def start(self) -> "VideoWriter":
        cmd = self.command()
        pass_fds: tuple[int, ...] = ()
        if self._audio_link is not None:
            url, pass_fds = self._audio_link.open()
            cmd[cmd.index("pipe:AUDIO")] = url
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=pass_fds,
            )
        except OSError as exc:
            raise WriterError(f"cannot start ffmpeg: {describe(exc, 200)}") from None
        finally:
            if self._audio_link is not None:
                self._audio_link.started()
        self._stderr_thread = threading.Thread(
            target=self._read_stderr, name="ffmpeg-log", daemon=True
        )
        self._stderr_thread.start()
        self._thread.start()
        return self

    def _read_stderr(self) -> None:
        for line in self._proc.stderr:
            text = line.decode(errors="replace").strip()
            if text:
                self._stderr.append(text)

    def _run(self) -> None:
        stdin = self._proc.stdin
        try:
            while (item := self._queue.get()) is not _SENTINEL:
                frame, repeat = item
                data = memoryview(np.ascontiguousarray(frame)).cast("B")
                for _ in range(repeat):
                    stdin.write(data)
                self.frames_written += repeat
            stdin.close()
        except BaseException as exc:  # reported to the producer by write()/close()
            self._error = exc
            self._drain()

    def _drain(self) -> None:
        """After a failure, keep emptying the queue so a blocked producer wakes up."""
        while True:
            try:
                if self._queue.get(timeout=0.1) is _SENTINEL:
                    return
            except queue.Empty:
                if not self._thread.is_alive():
                    return

    def failure(self) -> str | None:
        """Why the encoder failed (ffmpeg's own last words when it left any), else None.
        Waits up to 2 s for a failing ffmpeg to exit and say why: call it off the render
        thread."""
        proc = self._proc
        if self._error is None and (proc is None or proc.poll() in (None, 0)):
            return None
        if proc is not None:
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                pass
            self._stderr_thread.join(timeout=1.0)  # its last lines read
        said = "; ".join(list(self._stderr)[-2:])
        if said:
            return said
        return (
            describe(self._error, 300)
            if self._error
            else f"ffmpeg exited with code {proc.returncode}"
        )

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise WriterError(f"video encoder failed: {self.failure()}")

    def write(self, frame: np.ndarray, block: bool = True, repeat: int = 1) -> bool:
        """Queue one HxWx3 uint8 frame for ``repeat`` consecutive slots. Returns False when
        ``block`` is False and the queue is full: the frame is dropped and counted, and its
        slots go to the next frame that gets in (the stream keeps its length, so sound and
        picture stay in sync). Raises WriterError if ffmpeg failed."""
        self._raise_if_failed()
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {frame.shape} {frame.dtype} does not match "
                f"{self.size[0]}x{self.size[1]} rgb uint8"
            )
        while True:
            try:
                self._queue.put((frame, repeat + self._owed), timeout=0.2 if block else 0)
                self._owed = 0
                return True
            except queue.Full:
                if not block:
                    self.frames_dropped += 1
                    self._owed += repeat
                    return False
                self._raise_if_failed()

    def write_audio(self, samples: np.ndarray) -> None:
        """Stream [frames, channels] float32 audio (one thread; blocks while ffmpeg is
        behind). Raises WriterError when ffmpeg has gone."""
        try:
            self._audio_link.send(
                np.ascontiguousarray(samples, dtype=np.float32).tobytes(), alive=self._ffmpeg_alive
            )
        except OSError as exc:  # ffmpeg is gone or going: failure() waits for why
            self._error = self._error or exc
            raise WriterError(f"sound to ffmpeg: {describe(exc)}") from None
        self.audio_frames += len(samples)

    def close_audio(self) -> None:
        """The audio stream is complete (ffmpeg can finish once the frames are in)."""
        if self._audio_link is not None:
            self._audio_link.close(alive=self._ffmpeg_alive)

    def _ffmpeg_alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """Flush the queue, finish the file, wait for ffmpeg; raises WriterError on
        failure."""
        if self._thread.is_alive():
            while True:
                try:
                    self._queue.put(_SENTINEL, timeout=0.2)
                    break
                except queue.Full:
                    if not self._thread.is_alive():
                        break
            self._thread.join()
        self.close_audio()
        if self._proc is not None:
            self._proc.wait()
            if self._proc.returncode != 0 and self._error is None:
                self._error = WriterError(f"ffmpeg exited with code {self._proc.returncode}")
        self._raise_if_failed()
