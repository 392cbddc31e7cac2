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
from app.core.types import AnalysisFrame, RenderedFrame, TimedFrame
from app.engine.renderer import FrameRenderer


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


# Internal render sizes, as fractions of the output size, that auto-resolution steps through.
SCALES = (1.0, 0.75, 0.5, 0.35, 0.25)
BUDGET = 0.8          # a frame may use this much of its period before the size drops
DOWN_AFTER = 8        # frames over budget (smoothed) before stepping down
UP_AFTER_S = 3.0      # seconds with lots of headroom before stepping back up
HEADROOM = 0.45       # "lots": the next size up would still fit (area ratio ~1.8)
ALIGN_AFTER_S = 0.005  # a beat-aligned tick lands this long after the predicted crossing:
                       # phase corrections between the decision and the tick must not push
                       # the crossing past it (the flash would go out a frame late)


class AutoResolution:
    """Chooses the internal render scale from recent render times (pure logic)."""

    def __init__(self, fps: float, enabled: bool = True) -> None:
        self.period_ms = 1e3 / fps
        self.enabled = enabled
        self.level = 0
        self._smoothed: float | None = None
        self._over = 0
        self._under_since: float | None = None

    @property
    def scale(self) -> float:
        return SCALES[self.level]

    def update(self, render_ms: float, now_s: float) -> bool:
        """Feed one frame's render time; returns True when the scale changed."""
        if not self.enabled:
            return False
        self._smoothed = render_ms if self._smoothed is None else \
            0.8 * self._smoothed + 0.2 * render_ms
        if self._smoothed > BUDGET * self.period_ms:
            self._over += 1
            self._under_since = None
            if self._over >= DOWN_AFTER and self.level < len(SCALES) - 1:
                self.level += 1
                self._over, self._smoothed = 0, None
                return True
            return False
        self._over = 0
        if self.level > 0 and self._smoothed < HEADROOM * BUDGET * self.period_ms:
            self._under_since = now_s if self._under_since is None else self._under_since
            if now_s - self._under_since >= UP_AFTER_S:
                self.level -= 1
                self._under_since, self._smoothed = None, None
                return True
        else:
            self._under_since = None
        return False


def advance(frame: AnalysisFrame, seconds: float) -> AnalysisFrame:
    """``frame`` moved ``seconds`` later on its own tempo (beat and bar phase follow)."""
    beats = frame.beats + seconds * frame.bpm / 60.0
    bar = (frame.bar_phase + seconds * frame.bpm / 60.0 / frame.beats_per_bar) % 1.0
    return replace(frame, t_s=frame.t_s + seconds, beats=beats, beat_phase=beats % 1.0,
                   bar_phase=bar)


class RenderWorker:
    """Renders at ``fps`` from ``analysis`` into ``frames``; ``on_frame`` (optional) receives
    every rendered frame on this thread (the recorder queue hooks in there).

    ``make_renderer(size)`` builds a FrameRenderer for an internal size; with
    auto-resolution on, frames render at a smaller internal size when they run over budget
    and are upscaled to ``size``, and the size comes back when there is headroom.
    """

    def __init__(self, make_renderer: Callable[[tuple[int, int]], FrameRenderer],
                 size: tuple[int, int], analysis: Mailbox[TimedFrame], fps: float,
                 on_frame: Callable[[RenderedFrame], None] | None = None,
                 auto_resolution: bool = True, beat_aligned: bool = True) -> None:
        self.make_renderer = make_renderer
        self.size = size
        self.auto = AutoResolution(fps, auto_resolution)
        self._renderers: dict[float, tuple[FrameRenderer, object]] = {}
        self.analysis = analysis
        self.fps = fps
        self.beat_aligned = beat_aligned
        self.aligned_ticks = 0
        self.on_frame = on_frame
        self.frames: Mailbox[RenderedFrame] = Mailbox()
        self.rendered = 0
        self.skipped = 0
        self.errors = 0
        self.last_error: str | None = None
        self._render_ms: deque[float] = deque(maxlen=60)
        self._ages_ms: deque[float] = deque(maxlen=60)
        self._ticks: deque[float] = deque(maxlen=61)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="render", daemon=True)
        self.scale_changes = 0
        self._renderer_for(1.0)  # build the full-size renderer now: bad input fails early

    def internal_size(self, scale: float) -> tuple[int, int]:
        w, h = self.size
        return (max(16, round(w * scale / 2) * 2), max(16, round(h * scale / 2) * 2))

    def _renderer_for(self, scale: float):
        if scale not in self._renderers:
            renderer = self.make_renderer(self.internal_size(scale))
            self._renderers[scale] = (renderer, renderer.new_state())
        return self._renderers[scale]

    def start(self) -> "RenderWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _analysis_now(self, now: float) -> tuple[AnalysisFrame, float]:
        """The analysis for a frame at ``now`` and its age in seconds."""
        _, timed = self.analysis.get()
        if timed is None:  # no audio yet: silence on a steady clock
            return AnalysisFrame(t_s=now, beats=now * 2.0, bpm=120.0, beat_phase=(now * 2) % 1,
                                 bar_phase=(now / 2) % 1, onset=0.0, is_beat=False, rms=0.0,
                                 bands=(0.0, 0.0, 0.0), chroma=(0.0,) * 12), 0.0
        age = now - timed.wall_s
        self._ages_ms.append(1e3 * age)
        return advance(timed.frame, age), age

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_tick = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_tick:
                self._stop.wait(next_tick - now)
                continue
            late = int((now - next_tick) / period)
            if late:  # missed ticks are skipped, never rendered late: the beat stays put
                self.skipped += late
                next_tick += late * period
            next_tick += period
            t0 = time.perf_counter()
            analysis, age = self._analysis_now(now)
            if self.beat_aligned and age > 0:
                next_tick = self._align_to_beat(analysis, now, next_tick, period)
            scale = self.auto.scale
            try:
                renderer, state = self._renderer_for(scale)
                frame = renderer.render(analysis, state, self.fps, output_size=self.size)
                frame.timings["analysis_age_ms"] = 1e3 * age
                frame.timings["scale"] = scale
            except Exception as exc:
                self.errors += 1
                self.last_error = f"render: {type(exc).__name__}: {exc}"
                frame = RenderedFrame(seq=self.rendered, t_s=now,
                                      image=np.zeros((1, 1, 3), np.uint8),
                                      error=self.last_error)
            render_ms = 1e3 * (time.perf_counter() - t0)
            self._render_ms.append(render_ms)
            if self.auto.update(render_ms, now):
                self.scale_changes += 1
            self._ticks.append(now)
            self.rendered += 1
            self.frames.put(frame)
            if self.on_frame is not None:
                self.on_frame(frame)

    def _align_to_beat(self, analysis: AnalysisFrame, now: float, next_tick: float,
                       period: float) -> float:
        """Move the next tick onto the next predicted beat when that tick is the one nearest
        to it: the frame showing the beat then goes out on the beat instead of up to half a
        frame off. One interval per beat changes, by at most half a frame."""
        beat_s = 60.0 / analysis.bpm
        to_beat = (1.0 - analysis.beat_phase) % 1.0 * beat_s
        beat_at = now + to_beat + ALIGN_AFTER_S  # just after: that frame shows the new beat
        if abs(beat_at - next_tick) < period / 2 and beat_at > now + period / 4:
            self.aligned_ticks += 1
            return beat_at
        return next_tick

    def stats(self) -> WorkerStats:
        ticks = list(self._ticks)
        fps = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 1 and ticks[-1] > ticks[0] else 0.0
        render = list(self._render_ms)
        ages = list(self._ages_ms)
        return WorkerStats(fps=fps, render_ms=float(np.mean(render)) if render else 0.0,
                           analysis_age_ms=float(np.mean(ages)) if ages else 0.0,
                           rendered=self.rendered, skipped=self.skipped, errors=self.errors,
                           scale=self.auto.scale,
                           internal_size=self.internal_size(self.auto.scale))
