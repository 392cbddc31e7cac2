"""Re-rendering a captured performance offline: ``render --replay LOG --audio FILE``.

The log (app.engine.capture) holds the parameter values, triggers, patch swaps and the
musical clock of every live frame, stamped with their time in the recording. The replay
renders at any size and fps: musical time (beats, tempo, bar phase) comes from the logged
clock, so every knob move, flash and keyframe jump lands on the same beat as it did live;
the audio features (onsets, bands, chroma) come from an offline analysis of the sound,
which is the recording's own by default.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from app.audio.analysis import AnalysisTrack, analyze
from app.audio.loading import AudioClip
from app.core.errors import UserError
from app.core.params import ParamRegistry, ParamStore
from app.core.patch import Patch
from app.core.types import AnalysisFrame, RenderedFrame
from app.engine.capture import SCHEMA_VERSION
from app.engine.device import Placement, resolve_placement
from app.engine.offline import (
    PREROLL_S,
    RenderResult,
    check_output_path,
    encode_video,
    frame_count,
    split_progress,
)
from app.engine.player import Player, play
from app.engine.renderer import FrameRenderer
from app.engine.video_writer import QUALITY_PRESETS, EncoderSettings

WORKER_EVENTS = ("freeze", "blackout", "flash", "jump", "transport", "reseed")


@dataclass(frozen=True)
class Performance:
    """A loaded log: its header, its events in time order, and the clock per live frame."""

    path: Path
    header: dict
    events: list[dict]
    clock: dict[str, np.ndarray]  # t, beats, bpm, bar_phase

    @property
    def duration_s(self) -> float:
        t = self.clock["t"]
        return float(t[-1] + 1.0 / self.header["fps"])

    def recording(self) -> Path:
        """The recording this log sits beside (its sound is the default audio)."""
        return self.path.with_name(self.header["recording"])


def load_performance(path: Path) -> Performance:
    """Read a performance log; UserError naming the file and line when it is unusable.
    A torn last line (the process was killed while writing it) is left out."""
    if not path.is_file():
        raise UserError(f"--replay '{path}': not found")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--replay '{path}': cannot be read ({exc})") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise UserError(f"--replay '{path}': line {number} is not JSON") from None
    if not records or records[0].get("type") != "header":
        raise UserError(f"--replay '{path}': not a latentvj performance log (no header line)")
    header = records[0]
    if header.get("schema_version") != SCHEMA_VERSION:
        raise UserError(
            f"--replay '{path}': schema_version {header.get('schema_version')!r} "
            f"is not {SCHEMA_VERSION}"
        )
    clocks = [r for r in records[1:] if r.get("type") == "clock"]
    if not clocks:
        raise UserError(f"--replay '{path}': holds no frames (the recording was empty)")
    clock = {
        key: np.array([c[key] for c in clocks], dtype=np.float64)
        for key in ("t", "beats", "bpm", "bar_phase")
    }
    events = sorted((r for r in records[1:] if r.get("type") != "clock"), key=lambda r: r["t"])
    return Performance(path, header, events, clock)


def musical_time(
    perf: Performance, t: np.ndarray, beats_per_bar: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(beats, bpm, bar phase) at times ``t`` from the logged clock: beats and tempo
    interpolated between live frames, the bar phase carried from the frame before. Before
    the first live frame (the replay's pre-roll) the clock runs back at its first tempo."""
    c = perf.clock
    beats = np.where(
        t < c["t"][0],
        c["beats"][0] + (t - c["t"][0]) * c["bpm"][0] / 60.0,
        np.interp(t, c["t"], c["beats"]),
    )
    bpm = np.interp(t, c["t"], c["bpm"])
    i = np.clip(np.searchsorted(c["t"], t, side="right") - 1, 0, len(c["t"]) - 1)
    bar = (c["bar_phase"][i] + (beats - c["beats"][i]) / beats_per_bar) % 1.0
    return beats, bpm, bar


@dataclass(frozen=True)
class ReplayRequest:
    log: Path
    registry: ParamRegistry
    clip: AudioClip
    output: Path
    size: tuple[int, int] = (640, 360)
    fps: float = 30.0
    placement: Placement | None = None
    encoder: EncoderSettings = QUALITY_PRESETS["standard"]
    track: AnalysisTrack | None = None  # the sound's analysis, when done already (a chunk)


class ReplayJob:
    """A validated replay (constructing it checks the log, the patch and the audio)."""

    def __init__(self, req: ReplayRequest) -> None:
        check_output_path(req.output)
        if req.placement is None:
            req = replace(req, placement=resolve_placement("auto"))
        self.req = req
        self.perf = load_performance(req.log)
        self.patch = self._patch(self.perf.header, "header")
        self.duration_s = self.perf.duration_s
        if req.clip.duration_s + 0.1 < self.duration_s:
            raise UserError(
                f"audio '{req.clip.name}': {req.clip.duration_s:.2f} s, shorter "
                f"than the performance ({self.duration_s:.2f} s)"
            )
        self.n_frames = frame_count(min(self.duration_s, req.clip.duration_s), req.fps)
        self.preroll_frames = frame_count(PREROLL_S, req.fps)
        try:
            params = req.registry.validate_values(self.perf.header.get("params", {}), "params")
        except ValueError as exc:
            raise UserError(f"--replay '{req.log}': {exc}") from None
        self.store = ParamStore(req.registry, params)
        self.track = req.track or AnalysisTrack(analyze(req.clip), self.patch.beats_per_bar)
        self.player = Player(
            self._factory(self.patch, self.perf.header["preset_dir"]),
            req.size,
            req.fps,
            params=self.store,
        )

    def _patch(self, record: dict, where: str) -> Patch:
        try:
            return Patch.model_validate(record["patch"])
        except (KeyError, ValidationError) as exc:
            raise UserError(
                f"--replay '{self.req.log}': {where}: not a valid patch "
                f"({str(exc).splitlines()[0]})"
            ) from None

    def _factory(self, patch: Patch, preset_dir: str):
        req = self.req

        def make(size: tuple[int, int]) -> FrameRenderer:
            return FrameRenderer(
                patch, req.registry, size, req.placement, preset_dir=Path(preset_dir)
            )

        return make

    def analysis(self, start_s: float, count: int) -> list[AnalysisFrame]:
        """``count`` frames' analysis from ``start_s``: features from the sound (silence
        before it starts), musical time from the log."""
        frames = self.track.frames(start_s, count, self.req.fps)
        t = np.array([f.t_s for f in frames])
        beats, bpm, bar = musical_time(self.perf, t, self.patch.beats_per_bar)
        before = np.concatenate([beats[:1] - 1e-9, beats[:-1]])
        hits = np.floor(beats) > np.floor(before)
        return [
            replace(
                f,
                beats=float(b),
                bpm=float(p),
                beat_phase=float(b % 1.0),
                bar_phase=float(r),
                is_beat=bool(h),
            )
            for f, b, p, r, h in zip(frames, beats, bpm, bar, hits)
        ]

    def _apply(self, event: dict) -> None:
        kind = event["type"]
        if kind == "param":
            if event["id"] in self.req.registry:
                self.store.set(event["id"], event["value"], source=event.get("source", "log"))
        elif kind in WORKER_EVENTS:
            self.player.replay(event)
        elif kind == "patch":
            patch = self._patch(event, f"patch at {event['t']:.3f} s")
            self.player.load(
                self._factory(patch, event["preset_dir"]),
                float(event.get("fade_beats", 0.0)),
                start_beats=float(event["start"]),
            )
        # "tempo" events are in the logged clock already

    def frames(
        self, on_preroll: Callable[[int], None] = lambda done: None
    ) -> Iterator[RenderedFrame]:
        """Every frame of the replay, in order (events up to a frame's instant apply to
        it, as live they applied to the first frame drawn after them).

        Live, the recording starts with feedback and modulation already running; the
        replay first draws PREROLL_S unrecorded seconds before it (the start's settings,
        the logged clock run back, silence) so its first frame is warm too;
        ``on_preroll(done)`` after each of those."""
        preroll = self.preroll_frames
        yield from play(
            self.player,
            self.analysis(0.0, self.n_frames),
            self.perf.events,
            self._apply,
            self.analysis(-preroll / self.req.fps, preroll),
            on_preroll,
        )

    def chunk(self, first: int, count: int) -> Iterator[RenderedFrame]:
        """Frames ``first`` .. ``first + count - 1`` as ``frames`` draws them: the PREROLL_S
        before drawn first (with their events), every event before that applied at once
        (a flash, a swap or a jump lands by its logged beat, so it comes out the same)."""
        if first < self.preroll_frames:  # near the start: from the start, as the whole
            frames = self.frames()
            for k in range(first + count):
                frame = next(frames)
                if k >= first:
                    yield frame
            return
        lead = max(0, first - self.preroll_frames)
        every = self.analysis(0.0, self.n_frames)
        drawn = play(self.player, every[lead : first + count], self.perf.events, self._apply)
        for k, frame in enumerate(drawn):
            if k >= first - lead:
                yield frame

    def run(self, on_progress: Callable[[int, int], None] | None = None) -> RenderResult:
        """Render to ``req.output``; ``on_progress(done, total)`` after each frame drawn,
        the pre-roll's included."""
        req = self.req
        on_preroll, on_encoded = split_progress(on_progress, self.preroll_frames, self.n_frames)
        t_start = time.perf_counter()
        generate_s = encode_video(
            self.frames(on_preroll),
            self.n_frames,
            req.output,
            req.size,
            req.fps,
            req.encoder,
            req.clip,
            0.0,
            on_encoded,
        )
        return RenderResult(
            output=req.output,
            frames=self.n_frames,
            duration_s=self.n_frames / req.fps,
            wall_s=time.perf_counter() - t_start,
            generate_s=generate_s,
            bpm=float(np.median(self.perf.clock["bpm"])),
        )
