"""The video writer: frames go through a bounded queue to ffmpeg (imageio-ffmpeg's bundled
binary), fed from the writer's own thread so generation and encoding overlap.

The offline renderer uses ``write(block=True)`` (lossless: the producer waits when the
encoder is behind); the live recorder will use ``block=False`` and count drops.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import describe

_SENTINEL = None


@dataclass(frozen=True)
class EncoderSettings:
    """libx264 settings: ``crf`` (quality, lower is better) and ``preset`` (speed)."""

    crf: int = 18
    preset: str = "veryfast"
    audio_bitrate: str = "192k"


QUALITY_PRESETS = {
    "draft": EncoderSettings(crf=26, preset="ultrafast"),
    "standard": EncoderSettings(crf=18, preset="veryfast"),
    "high": EncoderSettings(crf=14, preset="slow"),
}


class WriterError(RuntimeError):
    """ffmpeg failed or the output could not be written."""


class VideoWriter:
    """H.264 (yuv420p) writer with optional muxed audio; a thread owns the ffmpeg pipe."""

    def __init__(self, path: str | Path, size: tuple[int, int], fps: float,
                 audio_path: str | Path | None = None,
                 settings: EncoderSettings = QUALITY_PRESETS["standard"],
                 queue_frames: int = 8) -> None:
        self.path = Path(path)
        self.size = size
        self.fps = fps
        self.audio_path = audio_path
        self.settings = settings
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=queue_frames)
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._error: BaseException | None = None
        self.frames_written = 0
        self.frames_dropped = 0

    def start(self) -> "VideoWriter":
        self._thread.start()
        return self

    def _output_params(self) -> list[str]:
        params = ["-preset", self.settings.preset, "-crf", str(self.settings.crf),
                  "-movflags", "+faststart"]
        if self.audio_path is not None:
            params += ["-b:a", self.settings.audio_bitrate, "-shortest"]
        return params

    def _run(self) -> None:
        import imageio_ffmpeg

        try:
            gen = imageio_ffmpeg.write_frames(
                str(self.path), self.size, fps=self.fps, codec="libx264",
                pix_fmt_in="rgb24", pix_fmt_out="yuv420p", quality=None,
                macro_block_size=2,  # default 16 silently resizes 640x360 to 640x368
                ffmpeg_log_level="error", output_params=self._output_params(),
                audio_path=None if self.audio_path is None else str(self.audio_path),
                audio_codec=None if self.audio_path is None else "aac")
            gen.send(None)
            while (frame := self._queue.get()) is not _SENTINEL:
                gen.send(frame)
                self.frames_written += 1
            gen.close()
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

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise WriterError(f"video encoder failed: {describe(self._error, 300)}")

    def write(self, frame: np.ndarray, block: bool = True) -> bool:
        """Queue one HxWx3 uint8 frame. Returns False when ``block`` is False and the queue
        is full (the frame is dropped and counted). Raises WriterError if ffmpeg failed."""
        self._raise_if_failed()
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame {frame.shape} {frame.dtype} does not match "
                             f"{self.size[0]}x{self.size[1]} rgb uint8")
        while True:
            try:
                self._queue.put(frame, timeout=0.2 if block else 0)
                return True
            except queue.Full:
                if not block:
                    self.frames_dropped += 1
                    return False
                self._raise_if_failed()

    def close(self) -> None:
        """Flush the queue, finish the file, join the thread; raises WriterError on failure."""
        if self._thread.is_alive():
            while True:
                try:
                    self._queue.put(_SENTINEL, timeout=0.2)
                    break
                except queue.Full:
                    if not self._thread.is_alive():
                        break
            self._thread.join()
        self._raise_if_failed()
