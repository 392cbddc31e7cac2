"""A render split in time: frames are a function of (patch, params, analysis, musical time),
so a span of the song can be drawn anywhere, given the analysis of the whole render. Each
chunk draws the frames before it as pre-roll (as a mid-song start does: feedback and
smoothing settle), encodes its frames to a video-only segment starting on a key frame, and
the segments are joined without re-encoding (ffmpeg's concat) and muxed with the audio
once. No Ray here: ``app.cluster.ray_render`` runs these functions as Ray tasks."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.audio.analysis import AnalysisTrack
from app.audio.loading import AudioClip
from app.core.atomic import atomic_path
from app.core.errors import UserError
from app.engine.offline import PREROLL_S, frame_count, write_audio_span
from app.engine.video_writer import EncoderSettings, VideoWriter, ffmpeg_exe


@dataclass(frozen=True)
class Chunk:
    """Frames ``first`` .. ``first + count - 1`` of the render (0-based)."""

    index: int
    first: int
    count: int


def plan_chunks(n_frames: int, fps: float, chunk_seconds: float) -> list[Chunk]:
    """The render's frames in spans of ``chunk_seconds`` (the last one shorter)."""
    size = max(1, int(round(chunk_seconds * fps)))
    return [Chunk(i, first, min(size, n_frames - first))
            for i, first in enumerate(range(0, n_frames, size))]  # fmt: skip


@dataclass(frozen=True)
class SegmentJob:
    """Everything a worker needs to draw a chunk (plain data: it travels to workers)."""

    patch_json: str
    preset_dir: str | None
    start_s: float  # the render's start in the song
    n_frames: int  # the whole render's frames
    size: tuple[int, int]
    fps: float
    encoder: EncoderSettings
    seed: int | None
    device: str


def render_segment(job: SegmentJob, track: AnalysisTrack, chunk: Chunk,
                   assets: dict | None = None) -> bytes:  # fmt: skip
    """The chunk's frames encoded as a video-only segment (Matroska, H.264), its bytes:
    the frames exactly as the whole render draws them at those instants, after the
    pre-roll of the frames before (up to PREROLL_S). ``assets``: the files the patch
    reads, shipped from the driver (``app.cluster.assets``)."""
    from app.core.patch import Patch
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.player import Player, play
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch = Patch.model_validate_json(job.patch_json)
    with tempfile.TemporaryDirectory(prefix="latentvj-chunk-") as tmp:
        if assets:
            from .assets import unpack

            patch = unpack(patch, assets, Path(tmp))
        placement = resolve_placement(job.device)
        preset_dir = Path(job.preset_dir) if job.preset_dir else None
        player = Player(lambda size: FrameRenderer(patch, registry, size, placement,
                                                   seed=job.seed, preset_dir=preset_dir),
                        job.size, job.fps)  # fmt: skip
        frames = track.frames(job.start_s, job.n_frames, job.fps)  # the instants of the whole
        # the PREROLL_S before the chunk: the render's own frames, and where the chunk is
        # nearer the start than that, the music before the start (as the whole render's
        # pre-roll drew it), so the chunk's history is the whole render's
        inside = frames[max(0, chunk.first - frame_count(PREROLL_S, job.fps)) : chunk.first]
        missing_s = PREROLL_S - len(inside) / job.fps
        before = frame_count(min(max(missing_s, 0.0), job.start_s), job.fps)
        preroll = track.frames(job.start_s - before / job.fps, before, job.fps) + inside
        drawn = play(player, frames[chunk.first : chunk.first + chunk.count], preroll=preroll)
        return encode_segment(drawn, chunk.count, job.size, job.fps, job.encoder)


def encode_segment(
    frames, count: int, size: tuple[int, int], fps: float, encoder: EncoderSettings
) -> bytes:
    """``count`` frames encoded as a video-only segment (Matroska, H.264, starting on a key
    frame), its bytes."""
    with tempfile.TemporaryDirectory(prefix="latentvj-segment-") as tmp:
        segment = Path(tmp) / "segment.mkv"
        writer = VideoWriter(segment, size, fps, None, encoder).start()
        for _ in range(count):
            writer.write(next(frames).image)
        writer.close()
        return segment.read_bytes()


@dataclass(frozen=True)
class ReplaySegmentJob:
    """A chunk of ``render --replay``: the performance log's text travels with it."""

    log_name: str
    log_text: str
    size: tuple[int, int]
    fps: float
    encoder: EncoderSettings
    device: str


def render_replay_segment(
    job: ReplaySegmentJob, clip: AudioClip, track: AnalysisTrack, chunk: Chunk
) -> bytes:
    """The chunk of a replay, as the whole replay draws it (``ReplayJob.chunk``)."""
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.replay import ReplayJob, ReplayRequest

    with tempfile.TemporaryDirectory(prefix="latentvj-chunk-") as tmp:
        log = Path(tmp) / job.log_name
        log.write_text(job.log_text, encoding="utf-8")
        replay = ReplayJob(ReplayRequest(
            log=log, registry=build_registry(), clip=clip, output=Path(tmp) / "unused.mkv",
            size=job.size, fps=job.fps, placement=resolve_placement(job.device),
            encoder=job.encoder, track=track))  # fmt: skip
        frames = replay.chunk(chunk.first, chunk.count)
        return encode_segment(frames, chunk.count, job.size, job.fps, job.encoder)


def join_segments(
    segments: list[Path], clip: AudioClip, start_s: float, duration_s: float, output: Path
) -> None:
    """The segments, in order, joined without re-encoding, with the audio under the span
    muxed once; written to a temporary name beside ``output`` and renamed when whole."""
    with tempfile.TemporaryDirectory(prefix="latentvj-join-") as tmp:
        listing = Path(tmp) / "segments.txt"
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in segments))
        audio = Path(tmp) / "audio.wav"
        write_audio_span(clip, start_s, duration_s, audio)
        with atomic_path(output) as tmp_output:
            command = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0",
                       "-i", str(listing), "-i", str(audio), "-map", "0:v", "-map", "1:a",
                       "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", str(tmp_output)]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True,
                                    stdin=subprocess.DEVNULL)  # fmt: skip
            if result.returncode != 0:
                last = (result.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
                raise UserError(f"output '{output}': joining the chunks failed ({last})")
