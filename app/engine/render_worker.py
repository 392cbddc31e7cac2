"""The live render worker: a frame clock at the target fps evaluating the same patch as the
offline renderer (DESIGN §3).

Each tick it takes the newest analysis frame (latest wins), moves its beat position forward
to the frame's own time (the analysis is a few milliseconds old; the clock's tempo says how
far the music has moved since), renders, and publishes a RenderedFrame to a mailbox. A slow
frame never makes the beat clock drift: the frame clock skips the ticks it missed and counts
them. Errors come back as data on the frame; the worker keeps running.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.core.mailbox import Mailbox
from app.core.params import ParamStore
from app.core.types import AnalysisFrame, RenderedFrame, TimedFrame
from app.engine.motion import quantize_up
from app.engine.renderer import (
    FrameRenderer,
    Look,
    MotionPoint,
    latent_crossfade,
    mix_points,
    shares_latent_space,
)


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
FLASH_BEATS = 0.5      # a triggered flash fades out over this many beats
MAX_FADES = 3          # crossfades running at once, each begun during the one before; an
                       # older one is cut short (across generators each one renders)
WORKER_TRIGGERS = ("flash", "freeze", "blackout", "next_keyframe", "previous_keyframe",
                   "random_jump")
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


@dataclass
class _Fade:
    """The outgoing patch's renderer during a crossfade, where the fade lies in beats, and
    the fade into the outgoing patch when that was still running as this one began."""

    renderer: FrameRenderer
    state: object
    start_beats: float
    beats: float
    previous: "_Fade | None" = None

    def weight(self, beats: float) -> float:
        """The new patch's share: 0 until the start, then a smoothstep to 1."""
        x = min(1.0, max(0.0, (beats - self.start_beats) / self.beats))
        return x * x * (3.0 - 2.0 * x) if beats >= self.start_beats else 0.0

    def limit(self, depth: int) -> None:
        """Keep at most ``depth`` fades in the chain: older ones end now."""
        fade = self
        for _ in range(depth - 1):
            if fade.previous is None:
                return
            fade = fade.previous
        fade.previous = None

    def under(self, beats: float) -> "_Fade | None":
        """The earlier fade still running under this one at ``beats`` (a finished one is
        let go: from there on its new patch is all there is of it)."""
        if self.previous is not None and self.previous.weight(beats) >= 1.0:
            self.previous = None
        return self.previous

    def chain(self, beats: float) -> list["_Fade"]:
        """This fade and the earlier ones still running under it."""
        fades = [self]
        while (under := fades[-1].under(beats)) is not None:
            fades.append(under)
        return fades


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

    def __init__(self, make_renderer: Callable[[tuple[int, int]], FrameRenderer],
                 size: tuple[int, int], analysis: Mailbox[TimedFrame], fps: float,
                 on_frame: Callable[[RenderedFrame], None] | None = None,
                 auto_resolution: bool = True, beat_aligned: bool = True,
                 onset_frames: bool = True, params: ParamStore | None = None) -> None:
        self.make_renderer = make_renderer
        self.size = size
        self.auto = AutoResolution(fps, auto_resolution)
        self._renderers: dict[float, tuple[FrameRenderer, object]] = {}
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
        self.params = params
        self.frozen = False
        self.blackout = False
        self.stopped = False  # the transport's Stop: black frames, nothing rendered
        self._triggers: queue.SimpleQueue[str | dict] = queue.SimpleQueue()
        self._jumps: list[tuple[float, int]] = []  # pending (landing beat, step)
        self._jumped = 0                            # steps of the jumps that have landed
        self._flash_beats: float | None = None
        self._rng = np.random.default_rng()
        self._last_frame: RenderedFrame | None = None
        self._swap: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.on_event: Callable[[dict], None] | None = None
        self._fade: _Fade | None = None
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
        # the full-size renderer of the patch loaded last (built now: bad input fails early)
        self.latest_renderer: FrameRenderer = self._renderer_for(1.0)[0]

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
        self._wake.set()
        self._thread.join()

    def wake(self) -> None:
        """An onset was heard; its analysis is in the mailbox (the analysis thread; never
        waits). Remembered until a frame answers it."""
        self._onsets_heard += 1
        self._wake.set()

    def load(self, make_renderer: Callable[[tuple[int, int]], FrameRenderer],
             fade_beats: float = 0.0, quantize: str = "bar", start_beats: float | None = None,
             note: dict | None = None) -> FrameRenderer:
        """Switch to another patch: its full-size renderer is built here, on the caller's
        thread (bad input raises here, and the old patch keeps playing); the render thread
        swaps it in at its next frame without waiting. With ``fade_beats`` the old patch
        plays on to the next beat or bar (``quantize``; ``"now"``: at once, for edits of
        the playing patch), or from ``start_beats`` when given (a replay), then crossfades
        into the new one over that many beats: through latent space when both play the
        same generator, else as a dissolve (both render meanwhile: twice the work).
        ``note`` (what the patch is) goes to ``on_event`` with the swap. Returns the new
        renderer (also kept as ``latest_renderer``)."""
        renderer = make_renderer(self.internal_size(1.0))
        self._swap.put((make_renderer, renderer, fade_beats, quantize, start_beats, note))
        self.latest_renderer = renderer
        return renderer

    def trigger(self, name: str) -> None:
        """Queue a trigger (one of WORKER_TRIGGERS) for the next frame; any thread."""
        if name not in WORKER_TRIGGERS:
            raise ValueError(f"not a render trigger: {name!r}")
        self._triggers.put(name)

    def set_playing(self, playing: bool) -> None:
        """The transport: stopped, frames are black and nothing is rendered (the beat clock
        runs on); any thread, from the next frame."""
        self._triggers.put({"type": "transport", "playing": bool(playing)})

    def _take_triggers(self, analysis: AnalysisFrame, renderer: FrameRenderer) -> None:
        while not self._triggers.empty():
            item = self._triggers.get()
            event = {**item, "t_s": analysis.shown_s} if isinstance(item, dict) else \
                self._resolve(item, analysis, renderer)
            self.replay(event)
        landed = [step for at, step in self._jumps if at <= analysis.beats]
        if landed:
            self._jumped += sum(landed)
            self._jumps = [(at, step) for at, step in self._jumps if at > analysis.beats]

    def _resolve(self, name: str, analysis: AnalysisFrame, renderer: FrameRenderer) -> dict:
        """A trigger as the event it becomes at this frame: what it does, fully decided
        (a toggle's new state, a flash's beat, a jump's landing beat and step), so a
        performance log can replay it exactly."""
        event: dict = {"type": name, "t_s": analysis.shown_s}
        if name == "freeze":
            event["on"] = not self.frozen
        elif name == "blackout":
            event["on"] = not self.blackout
        elif name == "flash":
            event["beats"] = analysis.beats
        else:
            n = len(renderer.motion.keyframes)
            step = {"next_keyframe": 1, "previous_keyframe": -1}.get(name) or \
                int(self._rng.integers(1, max(2, n)))
            at = quantize_up(analysis.beats, renderer.patch.motion.quantize,
                             analysis.beats_per_bar)
            event.update(type="jump", trigger=name, at=at, step=step)
        return event

    def replay(self, event: dict) -> None:
        """Apply a resolved trigger event (render thread, or a replay driving ``render``
        itself); ``on_event`` hears it."""
        kind = event["type"]
        if kind == "freeze":
            self.frozen = bool(event["on"])
        elif kind == "blackout":
            self.blackout = bool(event["on"])
        elif kind == "flash":
            self._flash_beats = float(event["beats"])
        elif kind == "jump":
            self._jumps.append((float(event["at"]), int(event["step"])))
        elif kind == "transport":
            self.stopped = not event["playing"]
        else:
            raise ValueError(f"not a render event: {kind!r}")
        if self.on_event is not None:
            self.on_event(event)

    def _base_params(self, analysis: AnalysisFrame,
                     renderer: FrameRenderer) -> dict[str, float] | None:
        """This frame's knob positions (the store, else the preset's), with a triggered
        flash on top; None when neither changes anything."""
        if self.params is None and self._flash_beats is None:
            return None
        base = dict(self.params.snapshot().values) if self.params is not None \
            else dict(renderer.base_params)
        if self._flash_beats is not None:
            fade = 1.0 - (analysis.beats - self._flash_beats) / FLASH_BEATS
            if fade <= 0.0:
                self._flash_beats = None
            base["fx.flash"] = max(base.get("fx.flash", 0.0), min(1.0, fade))
        return base

    def render(self, analysis: AnalysisFrame, scale: float = 1.0) -> RenderedFrame:
        """One frame for ``analysis`` at an internal ``scale``: pending patch swaps and
        triggers first. The render thread calls it each tick; a replay calls it directly
        (the thread never started)."""
        while not self._swap.empty():
            make, renderer, fade_beats, quantize, start, note = self._swap.get()
            if start is None:
                start = analysis.beats if quantize == "now" else \
                    quantize_up(analysis.beats, quantize, analysis.beats_per_bar)
            if fade_beats > 0 and self._renderers:
                old = self._renderers.get(scale) or next(iter(self._renderers.values()))
                self._fade = _Fade(old[0], old[1], start, fade_beats, previous=self._fade)
                self._fade.limit(MAX_FADES)
            self.make_renderer = make
            self._renderers = {1.0: (renderer, renderer.new_state())}
            self._jumps, self._jumped = [], 0
            if self.on_event is not None and note is not None:
                self.on_event({"type": "patch", "t_s": analysis.shown_s, "fade_beats": fade_beats,
                               "start": start, **note})
        renderer, state = self._renderer_for(scale)
        self._take_triggers(analysis, renderer)
        clock = {"t_s": analysis.t_s, "beats": analysis.beats, "bpm": analysis.bpm,
                 "bar_phase": analysis.bar_phase, "lookahead_s": analysis.lookahead_s}
        if self.blackout or self.stopped:
            w, h = self.size
            return RenderedFrame(seq=self.rendered, image=np.zeros((h, w, 3), np.uint8),
                                 params=self._last_frame.params if self._last_frame else {},
                                 **clock)
        if self.frozen and self._last_frame is not None:
            return replace(self._last_frame, seq=self.rendered, **clock)
        jumps = [(float("-inf"), self._jumped)] + self._jumps if self._jumped or self._jumps \
            else ()
        fade = self._fade
        if fade is not None and fade.weight(analysis.beats) >= 1.0:
            self._fade = None
        frame = self._crossfade(renderer, state, fade, analysis,
                                self._base_params(analysis, renderer), jumps)
        self._last_frame = frame
        return frame

    def _crossfade(self, renderer: FrameRenderer, state, fade: _Fade | None,
                   analysis: AnalysisFrame, base: dict[str, float] | None,
                   jumps: Sequence[tuple[float, int]]) -> RenderedFrame:
        """``renderer``'s frame or, while ``fade`` runs, the crossfade into it from the
        outgoing patch, which may itself still be fading in from another (a motion edit
        during a preset's crossfade): the picture then goes on from the mix on screen."""
        weight = fade.weight(analysis.beats) if fade else 1.0
        if weight <= 0.0:  # before the quantised start: the outgoing patch plays on
            frame = self._outgoing(fade, analysis)
        elif weight < 1.0 and all(shares_latent_space(f.renderer, renderer)
                                  for f in fade.chain(analysis.beats)):
            frame = latent_crossfade(fade.renderer, fade.state, renderer, state, weight,
                                     analysis, self.fps, base, jumps, output_size=self.size,
                                     old_point=self._outgoing_point(fade, analysis),
                                     old_look=self._outgoing_look(fade, analysis))
        else:
            frame = renderer.render(analysis, state, self.fps, base, jumps,
                                    output_size=self.size)
            if weight < 1.0:  # another generator: the old one on its own knobs, dissolved
                old = self._outgoing(fade, analysis)
                mixed = (1.0 - weight) * old.image.astype(np.float32) + weight * frame.image
                frame = replace(frame, image=mixed.round().astype(np.uint8))
        if fade:
            frame.timings["fade"] = weight
        return frame

    def _outgoing(self, fade: _Fade, analysis: AnalysisFrame) -> RenderedFrame:
        """The outgoing patch's frame, on its own knobs (and its own fade, if running)."""
        return self._crossfade(fade.renderer, fade.state, fade.under(analysis.beats),
                               analysis, None, ())

    def _outgoing_point(self, fade: _Fade, analysis: AnalysisFrame) -> MotionPoint:
        """Where the outgoing patch is in latent space: its own motion point or, while the
        fade into it runs, the mix of that fade (each patch's state advances once)."""
        point = fade.renderer.motion_point(analysis, fade.state)
        under = fade.under(analysis.beats)
        if under is None:
            return point
        return mix_points(self._outgoing_point(under, analysis), point,
                          under.weight(analysis.beats))

    def _outgoing_look(self, fade: _Fade, analysis: AnalysisFrame) -> Look | None:
        """How the outgoing side finishes the morphed picture while the fade into it still
        runs from a patch with other effects: the mix of the two looks, so that patch's
        mirror or kaleidoscope keeps fading out instead of dropping out. None when the
        outgoing patch's own effects are all there is to it."""
        under = fade.under(analysis.beats)
        if under is None or all(f.renderer.patch.effects == fade.renderer.patch.effects
                                for f in under.chain(analysis.beats)):
            return None
        inner = self._outgoing_look(under, analysis) or self._own_look(under)
        own = self._own_look(fade)
        weight = under.weight(analysis.beats)

        def look(img, params):
            return (1.0 - weight) * inner(img, params) + weight * own(img, params)
        return look

    def _own_look(self, fade: _Fade) -> Look:
        return lambda img, params: fade.renderer.finish(img, params, fade.state, self.fps)

    def _onset_due(self, now: float, last_tick: float, next_tick: float,
                   period: float) -> bool:
        """An onset arrived since the last frame, and drawing now keeps frames at least a
        third of a period apart and is worth it (the next tick is not about to come, and is
        not a tick placed on a predicted beat: that one is kept, the flash lands on it)."""
        heard = self._onsets_heard
        if not self.onset_frames or heard == self._onsets_answered:
            return False
        self._onsets_answered = heard
        return not self._beat_tick_pending and now - last_tick >= ONSET_MIN_GAP * period \
            and (self._awaiting_hit or next_tick - now >= ONSET_MIN_WAIT * period)

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
                frame = RenderedFrame(seq=self.rendered, t_s=now,
                                      image=np.zeros((1, 1, 3), np.uint8),
                                      error=self.last_error)
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
        if self.on_compensation is None or value is None or (
                self._compensation_s is not None
                and abs(value - self._compensation_s) < COMPENSATION_STEP_S):
            return
        self._compensation_s = value
        self.on_compensation(value)

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
            self._beat_tick_pending = True
            return beat_at
        return next_tick

    def stats(self) -> WorkerStats:
        ticks = list(self._ticks)
        fps = (len(ticks) - 1) / (ticks[-1] - ticks[0]) \
            if len(ticks) > 1 and ticks[-1] > ticks[0] else 0.0
        render = list(self._render_ms)
        ages = list(self._ages_ms)
        return WorkerStats(fps=fps, render_ms=float(np.mean(render)) if render else 0.0,
                           analysis_age_ms=float(np.mean(ages)) if ages else 0.0,
                           rendered=self.rendered, skipped=self.skipped, errors=self.errors,
                           scale=self.auto.scale,
                           internal_size=self.internal_size(self.auto.scale))
