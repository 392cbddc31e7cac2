"""The offline render job: a song (or the demo track) in, a music-synced video out.

Frames are rendered in order on this thread while the writer thread feeds ffmpeg, so wall
time approaches max(generate, encode). The file is written under a temporary name beside the
target and renamed only when complete: an error or Ctrl-C leaves no output file behind.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from app.audio.analysis import AnalysisTrack, analyze
from app.audio.loading import AudioClip
from app.core.atomic import atomic_path
from app.core.errors import UserError
from app.core.params import ParamRegistry
from app.core.patch import Patch
from app.core.types import RenderedFrame
from app.engine.device import Placement
from app.engine.player import Player, play
from app.engine.renderer import FrameRenderer
from app.engine.video_writer import (
    CONTAINERS,
    QUALITY_PRESETS,
    EncoderSettings,
    VideoWriter,
    WriterError,
)

# Feedback and modulation smoothing carry state across frames; a render that starts mid-song
# first renders (and discards) this much of the music before it, to rebuild that state.
PREROLL_S = 2.0


@dataclass(frozen=True)
class RenderRequest:
    patch: Patch
    registry: ParamRegistry
    clip: AudioClip
    output: Path
    size: tuple[int, int] = (640, 360)
    fps: float = 30.0
    start_s: float = 0.0
    duration_s: float | None = None
    seed: int | None = None
    placement: Placement | None = None
    preset_dir: Path | None = None
    encoder: EncoderSettings = QUALITY_PRESETS["standard"]


@dataclass(frozen=True)
class RenderResult:
    output: Path
    frames: int
    duration_s: float
    wall_s: float
    generate_s: float
    bpm: float

    @property
    def speed_x_realtime(self) -> float:
        return self.duration_s / self.wall_s if self.wall_s > 0 else float("inf")


def frame_count(duration_s: float, fps: float) -> int:
    return int(round(duration_s * fps))


def plan_span(
    clip: AudioClip, start_s: float, duration_s: float | None, fps: float
) -> tuple[float, int]:
    """(start, frames) for the requested span; UserError if it misses the audio."""
    if start_s >= clip.duration_s:
        raise UserError(
            f"--start {start_s:g}: the audio '{clip.name}' is only {clip.duration_s:.2f} s long"
        )
    available = clip.duration_s - start_s
    duration = available if duration_s is None else duration_s
    if duration > available + 1e-6:
        raise UserError(
            f"--duration {duration_s:g}: only {available:.2f} s of "
            f"'{clip.name}' follow --start {start_s:g}"
        )
    frames = frame_count(duration, fps)
    if frames < 1:
        raise UserError(f"--duration {duration:g}: shorter than one frame at {fps:g} fps")
    return start_s, frames


def write_audio_span(clip: AudioClip, start_s: float, duration_s: float, path: Path) -> None:
    """The audio under the rendered span, as 16-bit WAV for ffmpeg to mux."""
    a = int(round(start_s * clip.sr))
    b = min(clip.samples.shape[1], a + int(round(duration_s * clip.sr)))
    sf.write(str(path), np.ascontiguousarray(clip.samples[:, a:b].T), clip.sr, subtype="PCM_16")


def check_output_path(output: Path, what: str = "output") -> None:
    """Refuse a video file we could not write, before any work is done (``what`` names
    the flag in the message)."""
    if output.suffix.lower() not in CONTAINERS:
        raise UserError(f"{what} '{output}': use a {', '.join(CONTAINERS)} file name")
    if output.is_dir():
        raise UserError(f"{what} '{output}': is a folder")
    parent = output.parent
    if not parent.is_dir():
        raise UserError(f"{what} '{output}': folder '{parent}' does not exist")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise UserError(f"{what} '{output}': cannot be written ({exc.strerror})") from None


class RenderJob:
    """A validated render: constructing it checks every input (span, output folder, model,
    analysis), so ``run`` only fails for reasons found while rendering (encoder, disk)."""

    def __init__(self, req: RenderRequest) -> None:
        check_output_path(req.output)
        self.req = req
        self.start_s, self.n_frames = plan_span(req.clip, req.start_s, req.duration_s, req.fps)
        self.duration_s = self.n_frames / req.fps
        self.track = AnalysisTrack(analyze(req.clip), req.patch.beats_per_bar)
        self.player = Player(
            lambda size: FrameRenderer(
                req.patch,
                req.registry,
                size,
                req.placement,
                seed=req.seed,
                preset_dir=req.preset_dir,
            ),
            req.size,
            req.fps,
        )
        self.renderer = self.player.latest_renderer
        self.preroll_frames = frame_count(min(PREROLL_S, self.start_s), req.fps)

    def run(self, on_progress: Callable[[int, int], None] | None = None) -> RenderResult:
        """Render to ``req.output``; ``on_progress(done, total)`` after each frame drawn,
        the pre-roll's included."""
        req, preroll = self.req, self.preroll_frames
        on_preroll, on_encoded = split_progress(on_progress, self.preroll_frames, self.n_frames)
        frames = play(
            self.player,
            self.track.frames(self.start_s, self.n_frames, req.fps),
            preroll=self.track.frames(self.start_s - preroll / req.fps, preroll, req.fps),
            on_preroll=on_preroll,
        )
        t_start = time.perf_counter()
        generate_s = encode_video(
            frames,
            self.n_frames,
            req.output,
            req.size,
            req.fps,
            req.encoder,
            req.clip,
            self.start_s,
            on_encoded,
        )
        return RenderResult(
            output=req.output,
            frames=self.n_frames,
            duration_s=self.duration_s,
            wall_s=time.perf_counter() - t_start,
            generate_s=generate_s,
            bpm=self.track.bpm,
        )


def split_progress(
    on_progress: Callable[[int, int], None] | None, preroll: int, n_frames: int
) -> tuple[Callable[[int], None], Callable[[int, int], None]]:
    """One progress report over a render's two parts, so a slow pre-roll (seconds of 4K
    drawn only to warm feedback and smoothing up) moves the bar too: (called with the
    pre-roll frames drawn, called as encode_video's ``on_progress``)."""
    total = preroll + n_frames
    if on_progress is None:
        return (lambda done: None), (lambda done, _n: None)
    return (lambda done: on_progress(done, total)), (
        lambda done, _n: on_progress(preroll + done, total)
    )


def encode_video(
    frames: Iterator[RenderedFrame],
    n_frames: int,
    output: Path,
    size: tuple[int, int],
    fps: float,
    encoder: EncoderSettings,
    clip: AudioClip,
    start_s: float,
    on_progress: Callable[[int, int], None] | None = None,
) -> float:
    """Encode ``n_frames`` frames with the clip's audio from ``start_s`` into ``output``
    (atomically: an error or Ctrl-C leaves no file); returns the seconds spent generating
    (drawing the next frame) while the writer thread encoded."""
    generate_s = 0.0
    try:
        with (
            atomic_path(output) as tmp_output,
            tempfile.TemporaryDirectory(prefix="latentvj-") as tmp,
        ):
            audio_path = Path(tmp) / "audio.wav"
            write_audio_span(clip, start_s, n_frames / fps, audio_path)
            writer = VideoWriter(tmp_output, size, fps, audio_path, encoder).start()
            try:
                for i in range(n_frames):
                    g0 = time.perf_counter()
                    frame = next(frames)
                    generate_s += time.perf_counter() - g0
                    writer.write(frame.image)
                    if on_progress:
                        on_progress(i + 1, n_frames)
            except BaseException:
                with contextlib.suppress(WriterError):
                    writer.close()
                raise
            writer.close()
    except WriterError as exc:
        raise UserError(f"output '{output}': {exc}") from None
    return generate_s
