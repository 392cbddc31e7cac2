"""The live render worker: a frame clock at the target fps evaluating the same patch as the
offline renderer (DESIGN §3).

Each tick it takes the newest analysis frame (latest wins), moves its beat position forward
to the frame's own time (the analysis is a few milliseconds old; the clock's tempo says how
far the music has moved since), renders, and publishes a RenderedFrame to a mailbox. A slow
frame never makes the beat clock drift: the frame clock skips the ticks it missed and counts
them. Errors come back as data on the frame; the worker keeps running.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.core.mailbox import Mailbox
from app.core.params import ParamStore
from app.core.types import AnalysisFrame, RenderedFrame, TimedFrame
from app.engine.auto_resolution import AutoResolution
from app.engine.player import MAX_FADES, WORKER_TRIGGERS, Player
from app.engine.renderer import FrameRenderer

__all__ = [
    "RenderWorker",
    "WorkerStats",
    "advance",
    "MAX_FADES",
    "WORKER_TRIGGERS",
]


@dataclass(frozen=True)
class WorkerStats:
    fps: float
    render_ms: float
    analysis_age_ms: float
    rendered: int
    skipped: int
    errors: int
    scale: float
    internal_size: tuple[int, int]


ALIGN_AFTER_S = 0.005  # a beat-aligned tick lands this long after the predicted crossing:
# phase corrections between the decision and the tick must not push
# the crossing past it (the flash would go out a frame late)
COMPENSATION_FRAMES = 15  # render times timed before the compensation is first reported
COMPENSATION_WINDOW = 30  # ... and how many recent ones it follows
COMPENSATION_PERCENTILE = 90  # beat-aligned: this share of frames is ready by the beat (and
# held until it); a fixed grid spreads beats over +-half a
# frame anyway, so there the median render time is used
COMPENSATION_STEP_S = 0.002  # ... and it is reported again once it moved this much
ONSET_WAIT_S = 0.015  # after a beat-aligned tick, the next tick waits until this long past
# the beat's sound (a block and a hop to hear it, the analyzer's poll):
# the beat's hit then draws a frame at once instead of finding the
# renderer busy with a tick that started just before it was heard
ONSET_MIN_GAP = 1 / 3  # an onset draws a frame at once unless the last one is more recent
ONSET_MIN_WAIT = 1 / 4  # than this (in periods) or the next tick is nearer than this


def advance(frame: AnalysisFrame, seconds: float) -> AnalysisFrame:
    """``frame`` moved ``seconds`` later on its own tempo (beat and bar phase follow)."""
    beats = frame.beats + seconds * frame.bpm / 60.0
    bar = (frame.bar_phase + seconds * frame.bpm / 60.0 / frame.beats_per_bar) % 1.0
    return replace(
        frame, t_s=frame.t_s + seconds, beats=beats, beat_phase=beats % 1.0, bar_phase=bar
    )


class RenderWorker:
    """Renders at ``fps`` from ``analysis`` into ``frames``; ``on_frame`` (optional) receives
    every rendered frame on this thread (the recorder queue hooks in there).

    ``make_renderer(size)`` builds a FrameRenderer for an internal size; with
    auto-resolution on, frames render at a smaller internal size when they run over budget
    and are upscaled to ``size``, and the size comes back when there is headroom.

    With ``onset_frames`` on, ``wake()`` (the analysis thread calls it on an onset) draws
    the next frame at once and restarts the frame grid from it: a drum hit reaches the
    screen one render after it is heard instead of waiting up to a frame for the tick.

    Latency compensation: a frame shows the beats of its tick plus the analysis's
    lookahead. ``on_compensation(seconds)`` (optional; called on this thread) hears how far
    ahead that should be for a beat's frame to be ready on the beat: the median recent
    render time plus the margin of a beat-aligned tick (on a fixed grid: plus half a frame,
    so beats land on the nearest tick), again whenever it moves by COMPENSATION_STEP_S.

    ``params`` (optional) is the live ParamStore (knobs, MIDI): read once per frame.
    ``trigger(name)`` (any thread) queues one of WORKER_TRIGGERS for the next frame:
    a flash, freeze / blackout (panic; toggles), or a keyframe jump quantised to the
    preset's beat or bar. At that frame it becomes an event (``replay`` applies one) that
    ``on_event`` hears, as do patch swaps: the performance log records them.
    """

    def __init__(
        self,
        make_renderer: Callable[[tuple[int, int]], FrameRenderer],
        size: tuple[int, int],
        analysis: Mailbox[TimedFrame],
        fps: float,
        on_frame: Callable[[RenderedFrame], None] | None = None,
        auto_resolution: bool = True,
        beat_aligned: bool = True,
        onset_frames: bool = True,
        params: ParamStore | None = None,
    ) -> None:
        # what each frame is (built now: a bad first patch fails here)
        self.player = Player(make_renderer, size, fps, params)
        self.size = size
        self.auto = AutoResolution(fps, auto_resolution)
        self.analysis = analysis
        self.fps = fps
        self.beat_aligned = beat_aligned
        self.aligned_ticks = 0
        self.onset_frames = onset_frames
        self.onset_ticks = 0
        self._wake = threading.Event()
        # onsets heard (wake() counts them: the analysis mailbox keeps only the newest hop,
        # whose onset flag a later hop clears while a frame is being drawn) and answered
        self._onsets_heard = 0
        self._onsets_answered = 0
        self._beat_tick_pending = False  # the next tick was moved onto a predicted beat
        self._awaiting_hit = False  # the next tick waits for the hit of the beat just drawn
        self.on_frame = on_frame
        self.on_compensation: Callable[[float], None] | None = None
        self._compensation_s: float | None = None  # the value last reported
        self.frames: Mailbox[RenderedFrame] = Mailbox()
        self.rendered = 0
        self.skipped = 0
        self.errors = 0
        self.last_error: str | None = None
        self._render_ms: deque[float] = deque(maxlen=60)
        # frames the generator drew (not black, frozen or stopped ones, which take no time:
        # after a blackout the first beats must still be compensated for a full render)
        self._drawn_ms: deque[float] = deque(maxlen=COMPENSATION_WINDOW)
        self._ages_ms: deque[float] = deque(maxlen=60)
        self._ticks: deque[float] = deque(maxlen=61)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="render", daemon=True)
        self.scale_changes = 0

    def internal_size(self, scale: float) -> tuple[int, int]:
        return self.player.internal_size(scale)

    def start(self) -> "RenderWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def wake(self) -> None:
        """An onset was heard; its analysis is in the mailbox (the analysis thread; never
        waits). Remembered until a frame answers it."""
        self._onsets_heard += 1
        self._wake.set()

    def load(
        self,
        make_renderer: Callable[[tuple[int, int]], FrameRenderer],
        fade_beats: float = 0.0,
        quantize: str = "bar",
        start_beats: float | None = None,
        note: dict | None = None,
    ) -> FrameRenderer:
        """Switch to another patch (``Player.load``): built on the caller's thread, swapped
        in by the render thread at its next frame without waiting."""
        return self.player.load(make_renderer, fade_beats, quantize, start_beats, note)

    def trigger(self, name: str) -> None:
        """Queue a trigger (one of WORKER_TRIGGERS) for the next frame; any thread."""
        self.player.trigger(name)

    def set_playing(self, playing: bool) -> None:
        """The transport, from the next frame; any thread."""
        self.player.set_playing(playing)

    def replay(self, event: dict) -> None:
        """Apply a resolved event (``Player.replay``)."""
        self.player.replay(event)

    def render(self, analysis: AnalysisFrame, scale: float = 1.0) -> RenderedFrame:
        """One frame (``Player.render``): the render thread calls it each tick; a replay
        calls it directly (the thread never started)."""
        return self.player.render(analysis, scale, self.rendered)

    @property
    def loads(self) -> int:
        """Patches loaded so far (``load`` calls)."""
        return self.player.loads

    @property
    def landed(self) -> int:
        """How many of the loaded patches have reached the screen (a cue waits for its
        bar)."""
        return self.player.landed

    @property
    def latest_renderer(self) -> FrameRenderer:
        """The full-size renderer of the patch loaded last."""
        return self.player.latest_renderer

    @property
    def on_event(self) -> Callable[[dict], None] | None:
        return self.player.on_event

    @on_event.setter
    def on_event(self, listener: Callable[[dict], None] | None) -> None:
        self.player.on_event = listener

    @property
    def frozen(self) -> bool:
        return self.player.frozen

    @property
    def blackout(self) -> bool:
        return self.player.blackout

    @property
    def stopped(self) -> bool:
        return self.player.stopped

    def _onset_due(self, now: float, last_tick: float, next_tick: float, period: float) -> bool:
        """An onset arrived since the last frame, and drawing now keeps frames at least a
        third of a period apart and is worth it (the next tick is not about to come, and is
        not a tick placed on a predicted beat: that one is kept, the flash lands on it)."""
        heard = self._onsets_heard
        if not self.onset_frames or heard == self._onsets_answered:
            return False
        self._onsets_answered = heard
        return (
            not self._beat_tick_pending
            and now - last_tick >= ONSET_MIN_GAP * period
            and (self._awaiting_hit or next_tick - now >= ONSET_MIN_WAIT * period)
        )

    def _analysis_now(self, now: float) -> tuple[AnalysisFrame, float]:
        """The analysis for a frame at ``now`` and its age in seconds."""
        _, timed = self.analysis.get()
        if timed is None:  # no audio yet: silence on a steady clock
            return AnalysisFrame(
                t_s=now,
                beats=now * 2.0,
                bpm=120.0,
                beat_phase=(now * 2) % 1,
                bar_phase=(now / 2) % 1,
                onset=0.0,
                is_beat=False,
                rms=0.0,
                bands=(0.0, 0.0, 0.0),
                chroma=(0.0,) * 12,
            ), 0.0
        age = now - timed.wall_s
        self._ages_ms.append(1e3 * age)
        return advance(timed.frame, age), age

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_tick = time.monotonic()
        last_tick = next_tick - period
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_tick:
                if self._onset_due(now, last_tick, next_tick, period):
                    self.onset_ticks += 1
                    next_tick = now  # the grid restarts from this frame
                else:
                    self._wake.wait(next_tick - now)
                    self._wake.clear()
                    continue
            last_tick = now
            late = int((now - next_tick) / period)
            if late:  # missed ticks are skipped, never rendered late: the beat stays put
                self.skipped += late
                next_tick += late * period
            next_tick += period
            t0 = time.perf_counter()
            self._onsets_answered = self._onsets_heard  # in the analysis read next
            analysis, age = self._analysis_now(now)
            beat_tick, self._beat_tick_pending = self._beat_tick_pending, False
            self._awaiting_hit = False
            if self.beat_aligned and age > 0:
                next_tick = self._align_to_beat(analysis, now, next_tick, period)
            if beat_tick and self.onset_frames and not self._beat_tick_pending:
                next_tick = self._wait_for_the_hit(analysis, now, next_tick)
            scale = self.auto.scale
            try:
                frame = self.render(analysis, scale)
                frame.timings["analysis_age_ms"] = 1e3 * age
                frame.timings["scale"] = scale
            except Exception as exc:
                self.errors += 1
                self.last_error = f"render: {type(exc).__name__}: {exc}"
                frame = RenderedFrame(
                    seq=self.rendered,
                    t_s=now,
                    image=np.zeros((1, 1, 3), np.uint8),
                    error=self.last_error,
                )
            render_ms = 1e3 * (time.perf_counter() - t0)
            self._render_ms.append(render_ms)
            if not (self.stopped or self.blackout or self.frozen):
                self._drawn_ms.append(render_ms)
            if self.auto.update(render_ms, now):
                self.scale_changes += 1
            self._report_compensation()
            if beat_tick and frame.error is None:
                self._hold_until_due(analysis, now)
            self._ticks.append(now)
            self.rendered += 1
            self.frames.put(frame)
            if self.on_frame is not None:
                self.on_frame(frame)

    def _wait_for_the_hit(self, analysis: AnalysisFrame, now: float, next_tick: float) -> float:
        """The tick after a beat-aligned one. That frame shows its beat ahead of the beat's
        sound (latency compensation), so the beat's hit is heard after it: the next tick
        comes no sooner than ONSET_WAIT_S past the sound, and a hit heard before then
        draws at once (were the tick to start just before the hit is heard, the hit would
        wait for that whole frame)."""
        heard = now - ALIGN_AFTER_S + analysis.lookahead_s + ONSET_WAIT_S
        self._awaiting_hit = heard > next_tick
        return max(next_tick, heard)

    def _hold_until_due(self, analysis: AnalysisFrame, now: float) -> None:
        """A beat's frame is published when its beat is due, not when it is done: drawn
        ahead by a render time most frames beat (COMPENSATION_PERCENTILE), it is usually
        early, and publishing it then would show the flash early by however much faster
        than that this frame happened to be. Due: the beat's crossing, which the frame
        shows ``compensation`` after its tick (the render worker's part of the lookahead;
        the output latency the engine adds on top is the display's to spend)."""
        if self._compensation_s is None:
            return
        past_beat_s = (analysis.beats % 1.0) * 60.0 / analysis.bpm
        due = now + self._compensation_s - past_beat_s
        wait = due - time.monotonic()
        if 0.0 < wait <= self._compensation_s:
            self._stop.wait(wait)

    def compensation_s(self) -> float | None:
        """How far ahead of its tick a frame should show the beats for a beat's frame to be
        ready on the beat (None until COMPENSATION_FRAMES frames were timed): with aligned
        ticks a render time that most frames beat (they are held until the beat), plus the
        tick's margin; on a fixed grid the median render time plus half a frame."""
        recent = list(self._drawn_ms)
        if len(recent) < COMPENSATION_FRAMES:
            return None
        if self.beat_aligned:
            return float(np.percentile(recent, COMPENSATION_PERCENTILE)) / 1e3 + ALIGN_AFTER_S
        return float(np.median(recent)) / 1e3 + 0.5 / self.fps

    def _report_compensation(self) -> None:
        value = self.compensation_s()
        if (
            self.on_compensation is None
            or value is None
            or (
                self._compensation_s is not None
                and abs(value - self._compensation_s) < COMPENSATION_STEP_S
            )
        ):
            return
        self._compensation_s = value
        self.on_compensation(value)

    def _align_to_beat(
        self, analysis: AnalysisFrame, now: float, next_tick: float, period: float
    ) -> float:
        """Move the next tick onto the next predicted beat when that tick is the one nearest
        to it: the frame showing the beat then goes out on the beat instead of up to half a
        frame off. One interval per beat changes, by at most half a frame."""
        beat_s = 60.0 / analysis.bpm
        to_beat = (1.0 - analysis.beat_phase) % 1.0 * beat_s
        beat_at = now + to_beat + ALIGN_AFTER_S  # just after: that frame shows the new beat
        if abs(beat_at - next_tick) < period / 2 and beat_at > now + period / 4:
            self.aligned_ticks += 1
            self._beat_tick_pending = True
            return beat_at
        return next_tick

    def stats(self) -> WorkerStats:
        ticks = list(self._ticks)
        fps = (
            (len(ticks) - 1) / (ticks[-1] - ticks[0])
            if len(ticks) > 1 and ticks[-1] > ticks[0]
            else 0.0
        )
        render = list(self._render_ms)
        ages = list(self._ages_ms)
        return WorkerStats(
            fps=fps,
            render_ms=float(np.mean(render)) if render else 0.0,
            analysis_age_ms=float(np.mean(ages)) if ages else 0.0,
            rendered=self.rendered,
            skipped=self.skipped,
            errors=self.errors,
            scale=self.auto.scale,
            internal_size=self.internal_size(self.auto.scale),
        )
