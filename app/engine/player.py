"""The frame as a function of (patch, knobs, analysis, musical time, events): the patch
playing and the ones fading out (latent crossfades and dissolves), triggers resolved into
events at the frame that takes them, flash, freeze, blackout and the transport's stop.

The live render worker only schedules and calls ``Player.render`` each tick; a replay and
a test call it frame by frame with the events of a performance log (``replay``), so the
same code decides every frame live and offline.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.core.params import ParamStore
from app.core.types import AnalysisFrame, RenderedFrame
from app.engine.motion import quantize_up
from app.engine.renderer import (
    FrameRenderer,
    Look,
    MotionPoint,
    latent_crossfade,
    mix_points,
    shares_latent_space,
)

FLASH_BEATS = 0.5  # a triggered flash fades out over this many beats
MAX_FADES = 3  # crossfades running at once, each begun during the one before; an
# older one is cut short (across generators each one renders)
WORKER_TRIGGERS = (
    "flash",
    "freeze",
    "blackout",
    "next_keyframe",
    "previous_keyframe",
    "random_jump",
    "reseed",
)


@dataclass
class Fade:
    """The outgoing patch's renderer during a crossfade, where the fade lies in beats, and
    the fade into the outgoing patch when that was still running as this one began."""

    renderer: FrameRenderer
    state: object
    start_beats: float
    beats: float
    previous: "Fade | None" = None

    def weight(self, beats: float) -> float:
        """The new patch's share: 0 until the start, then a smoothstep to 1 (at once for a
        cut, a fade of no beats)."""
        if beats < self.start_beats:
            return 0.0
        if self.beats <= 0.0:
            return 1.0
        x = min(1.0, (beats - self.start_beats) / self.beats)
        return x * x * (3.0 - 2.0 * x)

    def limit(self, depth: int) -> None:
        """Keep at most ``depth`` fades in the chain: older ones end now."""
        fade = self
        for _ in range(depth - 1):
            if fade.previous is None:
                return
            fade = fade.previous
        fade.previous = None

    def under(self, beats: float) -> "Fade | None":
        """The earlier fade still running under this one at ``beats`` (a finished one is
        let go: from there on its new patch is all there is of it)."""
        if self.previous is not None and self.previous.weight(beats) >= 1.0:
            self.previous = None
        return self.previous

    def chain(self, beats: float) -> list["Fade"]:
        """This fade and the earlier ones still running under it."""
        fades = [self]
        while (under := fades[-1].under(beats)) is not None:
            fades.append(under)
        return fades


class Player:
    """Decides each frame of the patch playing: ``load`` queues a patch (with a crossfade),
    ``trigger`` a performer's trigger, ``replay`` applies a logged event, ``render`` draws
    the frame for an analysis frame. ``on_event`` (optional) hears every event as it
    happens (the performance log). ``params`` (optional) is the live ParamStore (knobs,
    MIDI), read once per frame; else the preset's values play.

    Any thread may call ``load``, ``trigger`` and ``set_playing``; ``render`` and
    ``replay`` run on one thread (the render thread, or a replay's)."""

    def __init__(
        self,
        make_renderer: Callable[[tuple[int, int]], FrameRenderer],
        size: tuple[int, int],
        fps: float,
        params: ParamStore | None = None,
    ) -> None:
        self.make_renderer = make_renderer
        self.size = size
        self.fps = fps
        self.params = params
        self._renderers: dict[float, tuple[FrameRenderer, object]] = {}
        self.frozen = False
        self.blackout = False
        self.stopped = False  # the transport's Stop: black frames, nothing rendered
        self._triggers: queue.SimpleQueue[str | dict] = queue.SimpleQueue()
        self._jumps: list[tuple[float, int]] = []  # pending (landing beat, step)
        self._jumped = 0  # steps of the jumps that have landed
        self._flash_beats: float | None = None
        self._reseed_beats: float | None = None
        self._rng = np.random.default_rng()
        self._last_frame: RenderedFrame | None = None
        self._swap: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.on_event: Callable[[dict], None] | None = None
        self._fade: Fade | None = None
        self.loads = 0  # patches loaded (``load`` calls) ...
        self.landed = 0  # ... and how many of them have reached the screen
        self._landings: deque[float] = deque()  # start beats of swaps not yet on screen
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

    def load(
        self,
        make_renderer: Callable[[tuple[int, int]], FrameRenderer],
        fade_beats: float = 0.0,
        quantize: str = "bar",
        start_beats: float | None = None,
        note: dict | None = None,
    ) -> FrameRenderer:
        """Switch to another patch: its full-size renderer is built here, on the caller's
        thread (bad input raises here, and the old patch keeps playing); the render thread
        swaps it in at its next frame without waiting. The old patch plays on to the next
        beat or bar (``quantize``; ``"now"``: at once, for edits of the playing patch), or
        to ``start_beats`` when given (a replay), then the new one cuts in or, with
        ``fade_beats``, crossfades in over that many beats: through latent space when both play the
        same generator, else as a dissolve (both render meanwhile: twice the work).
        ``note`` (what the patch is) goes to ``on_event`` with the swap. Returns the new
        renderer (also kept as ``latest_renderer``)."""
        renderer = make_renderer(self.internal_size(1.0))
        self.loads += 1
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
            event = (
                {**item, "t_s": analysis.shown_s}
                if isinstance(item, dict)
                else self._resolve(item, analysis, renderer)
            )
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
        elif name in ("flash", "reseed"):
            event["beats"] = analysis.beats
        else:
            n = len(renderer.motion.keyframes)
            step = {"next_keyframe": 1, "previous_keyframe": -1}.get(name) or int(
                self._rng.integers(1, max(2, n))
            )
            at = quantize_up(analysis.beats, renderer.patch.motion.quantize, analysis.beats_per_bar)
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
        elif kind == "reseed":  # continuation layers start again from their footage
            self._reseed_beats = float(event["beats"])
        elif kind == "jump":
            self._jumps.append((float(event["at"]), int(event["step"])))
        elif kind == "transport":
            self.stopped = not event["playing"]
        else:
            raise ValueError(f"not a render event: {kind!r}")
        if self.on_event is not None:
            self.on_event(event)

    def _base_params(
        self, analysis: AnalysisFrame, renderer: FrameRenderer
    ) -> dict[str, float] | None:
        """This frame's knob positions (the store, else the preset's), with a triggered
        flash on top; None when neither changes anything."""
        if self.params is None and self._flash_beats is None:
            return None
        base = (
            dict(self.params.snapshot().values)
            if self.params is not None
            else dict(renderer.base_params)
        )
        if self._flash_beats is not None:
            fade = 1.0 - (analysis.beats - self._flash_beats) / FLASH_BEATS
            if fade <= 0.0:
                self._flash_beats = None
            base["fx.flash"] = max(base.get("fx.flash", 0.0), min(1.0, fade))
        return base

    def render(self, analysis: AnalysisFrame, scale: float = 1.0, seq: int = 0) -> RenderedFrame:
        """One frame for ``analysis`` at an internal ``scale``: pending patch swaps and
        triggers first. ``seq`` numbers the black and frozen frames (drawn ones are
        numbered by their renderer's state)."""
        while not self._swap.empty():
            make, renderer, fade_beats, quantize, start, note = self._swap.get()
            if start is None:
                start = (
                    analysis.beats
                    if quantize == "now"
                    else quantize_up(analysis.beats, quantize, analysis.beats_per_bar)
                )
            if (fade_beats > 0 or start > analysis.beats) and self._renderers:
                # a crossfade, or a cut waiting for its beat: the old patch plays to it
                old = self._renderers.get(scale) or next(iter(self._renderers.values()))
                self._fade = Fade(old[0], old[1], start, fade_beats, previous=self._fade)
                self._fade.limit(MAX_FADES)
            self.make_renderer = make
            self._renderers = {1.0: (renderer, renderer.new_state())}
            self._jumps, self._jumped, self._reseed_beats = [], 0, None
            self._landings.append(start)
            if self.on_event is not None and note is not None:
                self.on_event(
                    {
                        "type": "patch",
                        "t_s": analysis.shown_s,
                        "fade_beats": fade_beats,
                        "start": start,
                        **note,
                    }
                )
        while self._landings and analysis.beats >= self._landings[0]:
            self._landings.popleft()
            self.landed += 1
        renderer, state = self._renderer_for(scale)
        self._take_triggers(analysis, renderer)
        if self._reseed_beats is not None:  # (a new patch's layers start without one)
            renderer.layers.reseed_at = self._reseed_beats
        clock = {
            "t_s": analysis.t_s,
            "beats": analysis.beats,
            "bpm": analysis.bpm,
            "bar_phase": analysis.bar_phase,
            "lookahead_s": analysis.lookahead_s,
        }
        if self.blackout or self.stopped:
            w, h = self.size
            return RenderedFrame(
                seq=seq,
                image=np.zeros((h, w, 3), np.uint8),
                params=self._last_frame.params if self._last_frame else {},
                **clock,
            )
        if self.frozen and self._last_frame is not None:
            return replace(self._last_frame, seq=seq, **clock)
        jumps = [(float("-inf"), self._jumped)] + self._jumps if self._jumped or self._jumps else ()
        fade = self._fade
        if fade is not None and fade.weight(analysis.beats) >= 1.0:
            self._fade = None
        frame = self._crossfade(
            renderer, state, fade, analysis, self._base_params(analysis, renderer), jumps
        )
        self._last_frame = frame
        return frame

    def _crossfade(
        self,
        renderer: FrameRenderer,
        state,
        fade: Fade | None,
        analysis: AnalysisFrame,
        base: dict[str, float] | None,
        jumps: Sequence[tuple[float, int]],
    ) -> RenderedFrame:
        """``renderer``'s frame or, while ``fade`` runs, the crossfade into it from the
        outgoing patch, which may itself still be fading in from another (a motion edit
        during a preset's crossfade): the picture then goes on from the mix on screen."""
        weight = fade.weight(analysis.beats) if fade else 1.0
        if weight <= 0.0:  # before the quantised start: the outgoing patch plays on
            frame = self._outgoing(fade, analysis)
        elif weight < 1.0 and all(
            shares_latent_space(f.renderer, renderer) for f in fade.chain(analysis.beats)
        ):
            frame = latent_crossfade(
                fade.renderer,
                fade.state,
                renderer,
                state,
                weight,
                analysis,
                self.fps,
                base,
                jumps,
                output_size=self.size,
                old_point=self._outgoing_point(fade, analysis),
                old_look=self._outgoing_look(fade, analysis),
            )
        else:
            frame = renderer.render(analysis, state, self.fps, base, jumps, output_size=self.size)
            if weight < 1.0:  # another generator: the old one on its own knobs, dissolved
                old = self._outgoing(fade, analysis)
                mixed = (1.0 - weight) * old.image.astype(np.float32) + weight * frame.image
                frame = replace(frame, image=mixed.round().astype(np.uint8))
        if fade:
            frame.timings["fade"] = weight
        return frame

    def _outgoing(self, fade: Fade, analysis: AnalysisFrame) -> RenderedFrame:
        """The outgoing patch's frame, on its own knobs (and its own fade, if running)."""
        return self._crossfade(
            fade.renderer, fade.state, fade.under(analysis.beats), analysis, None, ()
        )

    def _outgoing_point(self, fade: Fade, analysis: AnalysisFrame) -> MotionPoint:
        """Where the outgoing patch is in latent space: its own motion point or, while the
        fade into it runs, the mix of that fade (each patch's state advances once)."""
        point = fade.renderer.motion_point(analysis, fade.state)
        under = fade.under(analysis.beats)
        if under is None:
            return point
        return mix_points(
            self._outgoing_point(under, analysis), point, under.weight(analysis.beats)
        )

    def _outgoing_look(self, fade: Fade, analysis: AnalysisFrame) -> Look | None:
        """How the outgoing side finishes the morphed picture while the fade into it still
        runs from a patch with other effects: the mix of the two looks, so that patch's
        mirror or kaleidoscope keeps fading out instead of dropping out. None when the
        outgoing patch's own effects are all there is to it."""
        under = fade.under(analysis.beats)
        if under is None or all(
            f.renderer.patch.effects == fade.renderer.patch.effects
            for f in under.chain(analysis.beats)
        ):
            return None
        inner = self._outgoing_look(under, analysis) or self._own_look(under)
        own = self._own_look(fade)
        weight = under.weight(analysis.beats)

        def look(img, params):
            return (1.0 - weight) * inner(img, params) + weight * own(img, params)

        return look

    def _own_look(self, fade: Fade) -> Look:
        return lambda img, params: fade.renderer.finish(img, params, fade.state, self.fps)


def play(
    player: Player,
    frames: Iterable[AnalysisFrame],
    events: Sequence[dict] = (),
    apply: Callable[[dict], None] | None = None,
    preroll: Iterable[AnalysisFrame] = (),
    on_preroll: Callable[[int], None] = lambda done: None,
) -> Iterator[RenderedFrame]:
    """Every frame of a render: ``preroll`` frames drawn first and not yielded (they warm
    feedback and smoothing up; ``on_preroll(done)`` after each), then one frame per
    analysis frame, each after the ``events`` (sorted by ``"t"``) up to its instant were
    applied with ``apply``. A plain render is the empty event log."""
    for k, analysis in enumerate(preroll):
        player.render(analysis)
        on_preroll(k + 1)
    i = 0
    for analysis in frames:
        while i < len(events) and events[i]["t"] <= analysis.t_s:
            (apply or player.replay)(events[i])
            i += 1
        yield player.render(analysis)
