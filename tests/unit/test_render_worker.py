import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from app.core.mailbox import Mailbox
from app.core.types import AnalysisFrame, RenderedFrame, TimedFrame
from app.engine.auto_resolution import SCALES, AutoResolution
from app.engine.render_worker import (
    ALIGN_AFTER_S,
    COMPENSATION_STEP_S,
    ONSET_WAIT_S,
    RenderWorker,
    advance,
)


def frame(beats=3.9, bpm=120.0, bar_phase=0.975):
    return AnalysisFrame(
        t_s=10.0,
        beats=beats,
        bpm=bpm,
        beat_phase=beats % 1,
        bar_phase=bar_phase,
        onset=0.0,
        is_beat=False,
        rms=0.0,
        bands=(0, 0, 0),
        chroma=(0,) * 12,
    )


def test_advance_moves_beat_and_bar_phase_on_the_frames_tempo():
    later = advance(frame(), 0.1)  # 0.1 s at 120 BPM is 0.2 beats
    assert later.beats == pytest.approx(4.1)
    assert later.beat_phase == pytest.approx(0.1)
    assert later.bar_phase == pytest.approx(0.025)
    assert later.t_s == pytest.approx(10.1)


class ScriptedRenderer:
    """Stands in for FrameRenderer to test the worker's scheduling logic only."""

    def __init__(self, fail_on=(), stall_on=(), release=None):
        self.calls = []
        self.fail_on, self.stall_on, self.release = set(fail_on), set(stall_on), release

    def new_state(self):
        return None

    def render(self, analysis, state, fps, base=None, jumps=(), output_size=None):
        n = len(self.calls)
        self.calls.append(analysis)
        if n in self.stall_on:
            self.release.wait(timeout=5)
        if n in self.fail_on:
            raise RuntimeError("generator exploded")
        return RenderedFrame(seq=n, t_s=analysis.t_s, image=np.zeros((2, 2, 3), np.uint8))


class TakesTwentyMs(ScriptedRenderer):
    """A renderer whose frames cost 20 ms (the work is a sleep)."""

    def render(self, analysis, state, fps, base=None, jumps=(), output_size=None):
        time.sleep(0.020)
        return super().render(analysis, state, fps)


def run_until_done(worker, on_frame) -> None:
    """Run ``worker`` until ``on_frame`` (called with each frame) returns True (10 s at
    most)."""
    done = threading.Event()

    def hook(f):
        if on_frame(f):
            done.set()

    worker.on_frame = hook
    worker.start()
    try:
        assert done.wait(timeout=10)
    finally:
        worker.stop()


def run_until(worker, count):
    seen = []
    run_until_done(worker, lambda f: seen.append(f) or len(seen) >= count)
    return seen


def test_errors_come_back_as_data_and_the_worker_keeps_going():
    box: Mailbox[TimedFrame] = Mailbox()
    worker = RenderWorker(lambda size: ScriptedRenderer(fail_on={1}), (16, 16), box, fps=200.0)
    frames = run_until(worker, 4)
    assert frames[1].error == "render: RuntimeError: generator exploded"
    assert worker.last_error == frames[1].error
    assert frames[2].error is None and worker.errors == 1


def test_a_stalled_frame_is_skipped_not_rendered_late():
    release = threading.Event()
    box: Mailbox[TimedFrame] = Mailbox()
    renderer = ScriptedRenderer(stall_on={2}, release=release)
    worker = RenderWorker(lambda size: renderer, (16, 16), box, fps=100.0, auto_resolution=False)
    timer = threading.Timer(0.3, release.set)  # the stall lasts ~30 frame periods
    timer.start()
    run_until(worker, 6)
    assert worker.skipped >= 20
    # after the stall the frames continue at the clock's time: no burst of catch-up frames
    times = [a.t_s for a in renderer.calls]
    assert times[3] - times[2] >= 0.25


def test_the_newest_analysis_is_moved_to_the_frame_time():
    import time

    box: Mailbox[TimedFrame] = Mailbox()
    box.put(TimedFrame(frame(beats=8.0), time.monotonic() - 0.25))  # 0.25 s old
    renderer = ScriptedRenderer()
    run_until(RenderWorker(lambda size: renderer, (16, 16), box, fps=100.0), 1)
    assert renderer.calls[0].beats == pytest.approx(8.5, abs=0.05)


def test_auto_resolution_steps_down_when_frames_run_over_and_back_up_with_headroom():
    auto = AutoResolution(fps=30.0)  # 33 ms frames: budget 26.7 ms
    t = 0.0
    changes = []
    for _ in range(40):  # 40 ms frames: too slow at full size
        t += 1 / 30
        if auto.update(40.0, t):
            changes.append(auto.scale)
    assert auto.level >= 1 and changes[0] == SCALES[1]
    level = auto.level
    for _ in range(30):  # 20 ms: fits, but not with room for a bigger size: stays put
        t += 1 / 30
        auto.update(20.0, t)
    assert auto.level == level
    for _ in range(200):  # 5 ms: lots of headroom for 3 s -> back up, one step at a time
        t += 1 / 30
        auto.update(5.0, t)
    assert auto.level < level


def test_auto_resolution_can_be_switched_off():
    auto = AutoResolution(fps=30.0, enabled=False)
    for k in range(50):
        assert not auto.update(100.0, k / 30)
    assert auto.scale == 1.0


def test_worker_renders_smaller_and_upscales_when_frames_are_slow():
    """A renderer whose cost follows its pixel count: at 20 fps the full size (60 ms) is
    over budget, half size (15 ms) is not; frames are still asked for at the full size."""
    import time as _time

    sizes = []

    class CostlyRenderer(ScriptedRenderer):
        def __init__(self, size):
            super().__init__()
            self.size = size

        def render(self, analysis, state, fps, base=None, jumps=(), output_size=None):
            sizes.append(self.size)
            _time.sleep(0.060 * (self.size[0] * self.size[1]) / (160 * 90))  # the work
            w, h = output_size or self.size
            return RenderedFrame(seq=0, t_s=analysis.t_s, image=np.zeros((h, w, 3), np.uint8))

    box: Mailbox[TimedFrame] = Mailbox()
    worker = RenderWorker(CostlyRenderer, (160, 90), box, fps=20.0)
    frames = run_until(worker, 40)
    assert worker.scale_changes >= 1 and worker.auto.level >= 1
    assert sizes[-1][0] < 160
    assert all(f.image.shape == (90, 160, 3) for f in frames)


def test_the_tick_nearest_a_predicted_beat_moves_onto_it():
    worker = RenderWorker(lambda size: ScriptedRenderer(), (16, 16), Mailbox(), fps=30.0)
    period = 1 / 30
    # 120 BPM, 0.9 of the beat gone: the beat is 50 ms away; the next tick is at +33 ms,
    # the one after at +67 ms: 50 ms is nearer the second, so the first stays put
    analysis = frame(beats=3.9)
    assert worker._align_to_beat(analysis, 0.0, period, period) == period
    # 0.95 gone: the beat is 25 ms away, nearest the +33 ms tick, which moves onto it
    analysis = frame(beats=3.95)
    assert worker._align_to_beat(analysis, 0.0, period, period) == pytest.approx(0.030)
    assert worker.aligned_ticks == 1


@pytest.mark.parametrize("beat_aligned", [True, False])
def test_the_render_time_is_reported_for_latency_compensation(beat_aligned):
    """What the analyzer should predict ahead: the median render time plus where the tick
    falls from the beat (just after it with aligned ticks, half a frame on a fixed grid)."""
    fps = 30.0
    worker = RenderWorker(
        lambda size: TakesTwentyMs(),
        (16, 16),
        Mailbox(),
        fps=fps,
        auto_resolution=False,
        beat_aligned=beat_aligned,
    )
    reported = []
    worker.on_compensation = reported.append
    run_until(worker, 20)
    margin = ALIGN_AFTER_S if beat_aligned else 0.5 / fps
    assert reported and reported[0] == pytest.approx(0.020 + margin, abs=0.015)
    assert reported[0] >= 0.020 + margin
    assert worker.compensation_s() == pytest.approx(reported[-1], abs=COMPENSATION_STEP_S)


class QuickOnTheBeat(ScriptedRenderer):
    """Frames just past a beat take 2 ms, the others 30 ms (the work is a sleep)."""

    def render(self, analysis, state, fps, base=None, jumps=(), output_size=None):
        time.sleep(0.002 if analysis.beats % 1.0 < 0.1 else 0.030)
        out = super().render(analysis, state, fps)
        return replace(out, beats=analysis.beats)


def test_a_beats_frame_drawn_early_is_held_until_the_beat():
    """Compensation covers a render time most frames beat, so a beat's frame is usually
    done early; it is published when its beat is due (its tick plus the compensation,
    less how far past the beat it shows), not before: the flash lands on the beat."""
    box: Mailbox[TimedFrame] = Mailbox()
    wall0 = time.monotonic()
    box.put(TimedFrame(replace(frame(beats=0.0), t_s=0.0), wall0))
    worker = RenderWorker(
        lambda size: QuickOnTheBeat(),
        (16, 16),
        box,
        fps=30.0,
        auto_resolution=False,
        onset_frames=False,
    )
    worker.on_compensation = lambda s: None  # an analyzer would predict this far ahead
    held = []  # (published, due) of beat frames once the compensation was reported
    last = [0.0]

    def on_frame(f):
        published = time.monotonic()
        comp = worker._compensation_s
        if comp is not None and np.floor(f.beats) > np.floor(last[0]):
            tick = wall0 + f.t_s  # the analysis frame was at stream time 0 at wall0
            held.append((published, tick + comp - (f.beats % 1.0) * 0.5))
        last[0] = f.beats
        return len(held) >= 4

    run_until_done(worker, on_frame)
    assert worker.compensation_s() > 0.030
    for published, due in held:
        assert published >= due - 0.001  # not the 2 ms the frame took


def test_black_frames_do_not_shrink_the_compensation():
    """A blackout (or stop, or freeze) draws nothing, in no time: when the picture comes
    back on the drop, its first beats still need a whole render of compensation."""
    worker = RenderWorker(
        lambda size: TakesTwentyMs(), (16, 16), Mailbox(), fps=60.0, auto_resolution=False
    )
    counts = {"all": 0, "black": 0}

    def on_frame(f):
        counts["all"] += 1
        if worker.blackout:
            counts["black"] += 1
        if counts["all"] == 20:
            worker.trigger("blackout")
        return counts["black"] >= 40

    run_until_done(worker, on_frame)
    assert worker.compensation_s() >= 0.020 + ALIGN_AFTER_S


def test_after_a_beat_drawn_ahead_the_next_tick_waits_for_its_hit():
    import time as _time

    worker = RenderWorker(lambda size: ScriptedRenderer(), (16, 16), Mailbox(), fps=30.0)
    period = 1 / 30
    # the beat's frame was drawn at t=0, 25 ms ahead of the beat's sound (lookahead 30 ms
    # minus the aligned tick's margin): the tick at +33 ms would start 8 ms after the sound,
    # when its hit may not have been heard yet; it moves to 15 ms past the sound
    ahead = replace(frame(beats=4.0), lookahead_s=0.025 + ALIGN_AFTER_S)
    assert worker._wait_for_the_hit(ahead, 0.0, period) == pytest.approx(0.025 + ONSET_WAIT_S)
    # ... and the hit, heard while it waits, draws a frame at once though the tick is near
    worker.analysis.put(TimedFrame(replace(frame(beats=4.02), is_onset=True), _time.monotonic()))
    worker.wake()
    assert worker._onset_due(0.027, 0.0, 0.025 + ONSET_WAIT_S, period)
    # a beat drawn only a little ahead leaves the grid alone
    near = replace(frame(beats=4.0), lookahead_s=0.004 + ALIGN_AFTER_S)
    assert worker._wait_for_the_hit(near, 0.0, period) == period
    assert not worker._awaiting_hit


def test_each_distinct_error_is_printed_once():
    import io

    from app.live.headless import ErrorReporter

    out = io.StringIO()
    reporter = ErrorReporter(out)
    for _ in range(30):  # the same error on every frame
        reporter.report("render: RuntimeError: boom", None)
    reporter.report("analyzer: ValueError: bad", "render: RuntimeError: boom")
    assert out.getvalue().splitlines() == [
        "latentvj live: render: RuntimeError: boom",
        "latentvj live: analyzer: ValueError: bad",
    ]


def onset_rig(monkeypatch, renderer):
    """A worker at 2 fps (ticks 500 ms apart, so an onset's frame is told from a tick by
    when it comes), no minimum gap after a frame, and a mailbox holding one plain hop."""
    import app.engine.render_worker as rw

    monkeypatch.setattr(rw, "ONSET_MIN_GAP", 0.0)
    box: Mailbox[TimedFrame] = Mailbox()
    box.put(TimedFrame(frame(), time.monotonic()))
    return box, RenderWorker(
        lambda size: renderer, (16, 16), box, fps=2.0, beat_aligned=False, auto_resolution=False
    )


def onset_hop() -> TimedFrame:
    return TimedFrame(replace(frame(), is_onset=True), time.monotonic())


def answered_at_once(worker, ready, stimulus) -> None:
    """Start ``worker``; once ``ready()`` holds, ``stimulus()`` (returns when it happened)
    must be followed by the second frame well before the next tick (~0.5 s), as an onset
    frame."""
    from tests.waiting import wait_until

    second = threading.Event()
    worker.on_frame = lambda f: second.set() if f.seq == 1 else None
    worker.start()
    try:
        wait_until(ready, 5, "the first frame")
        at = stimulus()
        assert second.wait(timeout=5)
        assert time.monotonic() - at < 0.25  # the tick would have come at ~0.5 s
    finally:
        worker.stop()
    assert worker.onset_ticks == 1


def test_an_onset_draws_a_frame_at_once_instead_of_at_the_next_tick(monkeypatch):
    """The next tick is 500 ms after the first frame; an onset put in the mailbox with a
    wake() right after that frame is drawn well before it."""
    box, worker = onset_rig(monkeypatch, ScriptedRenderer())

    def onset():
        box.put(onset_hop())
        worker.wake()
        return time.monotonic()

    answered_at_once(worker, lambda: worker.rendered >= 1, onset)


def test_an_onset_heard_while_a_frame_is_drawn_is_answered_after_later_hops(monkeypatch):
    """The mailbox keeps only the newest hop: a hop after the onset's clears its flag
    before the busy renderer looks. The onset is still answered the moment it is free."""
    release = threading.Event()
    renderer = ScriptedRenderer(stall_on={0}, release=release)
    box, worker = onset_rig(monkeypatch, renderer)

    def onset_then_a_plain_hop():
        box.put(onset_hop())
        worker.wake()
        box.put(TimedFrame(frame(), time.monotonic()))  # the next hop: no onset in it
        release.set()  # the first frame is done
        return time.monotonic()

    answered_at_once(worker, lambda: len(renderer.calls) == 1, onset_then_a_plain_hop)


def test_triggers_flash_panic_and_keyframe_jumps(registry, cpu):
    """Through the worker's own frame path with the real renderer (not started: frames are
    drawn by calling it directly, so every step is deterministic)."""
    from app.core.params import ParamStore
    from app.core.presets import load_preset
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset("cell-strobe", registry)  # hard cuts: keyframes held per bar
    store = ParamStore(registry, patch.params)
    worker = RenderWorker(
        lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent),
        (32, 18),
        Mailbox(),
        fps=30.0,
        auto_resolution=False,
        params=store,
    )
    at = frame(beats=1.5, bar_phase=0.4)
    plain = worker.render(at).image
    worker.trigger("flash")
    flashed = worker.render(at).image
    assert flashed.mean() > plain.mean() + 10
    worker.trigger("blackout")
    assert worker.render(at).image.max() == 0
    worker.trigger("blackout")
    worker.trigger("freeze")
    frozen = worker.render(at).image
    assert np.array_equal(worker.render(frame(beats=2.9)).image, frozen)
    worker.trigger("freeze")
    renderer, _ = worker.player._renderer_for(1.0)
    worker.trigger("next_keyframe")  # lands on the next bar line (beat 4)
    worker.render(frame(beats=3.0))
    assert worker.player._jumps == [(4.0, 1)]
    worker.render(frame(beats=4.0))
    assert worker.player._jumps == [] and worker.player._jumped == 1
    with pytest.raises(ValueError):
        worker.trigger("explode")


def test_frames_and_events_drawn_ahead_are_stamped_with_the_instant_they_show():
    """With latency compensation a frame shows the beats of its tick plus the lookahead:
    the performance log and the recorder place it, and its events, at that instant."""
    worker = RenderWorker(
        lambda size: ScriptedRenderer(), (16, 16), Mailbox(), fps=30.0, auto_resolution=False
    )
    events = []
    worker.on_event = events.append
    ahead = replace(frame(beats=4.0), t_s=10.0, lookahead_s=0.03)
    worker.trigger("blackout")
    black = worker.render(ahead)
    assert black.image.max() == 0 and black.shown_s == pytest.approx(10.03)
    assert [e["type"] for e in events] == ["blackout"]
    assert events[0]["t_s"] == pytest.approx(10.03)


def test_store_values_reach_the_next_frame(registry, cpu):
    from app.core.params import ParamStore
    from app.core.presets import load_preset
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset("nebula-drift", registry)
    store = ParamStore(registry, patch.params)
    worker = RenderWorker(
        lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent),
        (32, 18),
        Mailbox(),
        fps=30.0,
        auto_resolution=False,
        params=store,
    )
    before = worker.render(frame()).image
    store.set("fx.brightness", 0.0, source="midi")
    assert worker.render(frame()).image.max() < before.max() / 4


def preset_renderers(name, registry, cpu):
    """Makes renderers of the shipped preset ``name`` (a worker's renderer factory)."""
    from app.core.presets import load_preset
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset(name, registry)
    return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)


def test_preset_crossfade_starts_on_the_next_bar_and_blends_over_its_beats(registry, cpu):
    def factory(name):
        return preset_renderers(name, registry, cpu)

    worker = RenderWorker(
        factory("nebula-drift"), (32, 18), Mailbox(), fps=30.0, auto_resolution=False
    )
    worker.render(frame(beats=4.5))
    worker.load(factory("cell-strobe"), fade_beats=4.0, quantize="bar")
    weights = [
        worker.render(frame(beats=b)).timings.get("fade")
        for b in (5.0, 7.9, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0)
    ]
    assert weights[:3] == [0.0, 0.0, 0.0]  # the old preset plays to the bar line
    assert 0.0 < weights[3] < weights[4] < weights[5] < 1.0  # then blends over 4 beats
    assert weights[6] == 1.0 and weights[7] is None  # and the fade is over


def test_a_cut_lands_on_the_next_bar_and_edits_land_at_once(registry, cpu):
    def factory(name):
        return preset_renderers(name, registry, cpu)

    worker = RenderWorker(
        factory("nebula-drift"), (32, 18), Mailbox(), fps=30.0, auto_resolution=False
    )
    worker.render(frame(beats=4.5))
    worker.load(factory("cell-strobe"), fade_beats=0.0, quantize="bar")
    assert (worker.loads, worker.landed) == (1, 0)
    assert [worker.render(frame(beats=b)).timings.get("fade") for b in (5.0, 7.9)] == [0.0, 0.0]
    assert worker.landed == 0  # the old preset plays to the bar line
    assert worker.render(frame(beats=8.0)).timings.get("fade") == 1.0 and worker.landed == 1
    assert worker.render(frame(beats=8.1)).timings.get("fade") is None
    worker.load(factory("plasma-tunnel"), fade_beats=0.0, quantize="now")  # an edit
    assert worker.render(frame(beats=8.2)).timings.get("fade") is None
    assert (worker.loads, worker.landed) == (2, 2)


def _holding(registry, vector, **updates):
    """nebula-drift holding one keyframe, no routes and no feedback: frames depend only on
    the latent and the patch."""
    from app.core.presets import load_preset

    patch, path = load_preset("nebula-drift", registry)
    motion = patch.motion.model_copy(
        update={
            "path": "hold",
            "vectors": [list(vector)],
            "oscillate": patch.motion.oscillate.model_copy(update={"amplitude": 0.0}),
        }
    )
    return patch.model_copy(update={"motion": motion, "routes": [], "params": {}, **updates}), path


def test_presets_on_one_generator_crossfade_through_latent_space(registry, cpu):
    from app.engine.motion import slerp
    from app.engine.renderer import FrameRenderer

    rng = np.random.default_rng(5)
    za, zb = rng.standard_normal(64), rng.standard_normal(64)

    def factory(patch_and_path):
        patch, path = patch_and_path
        return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    worker = RenderWorker(
        factory(_holding(registry, za)), (48, 32), Mailbox(), fps=30.0, auto_resolution=False
    )
    a = worker.render(frame(beats=4.5))
    worker.load(factory(_holding(registry, zb)), fade_beats=4.0, quantize="bar")
    worker.render(frame(beats=5.0))  # swapped in: the fade starts on the bar at beat 8
    mid = worker.render(frame(beats=10.0))  # halfway: smoothstep(0.5) = 0.5
    b = worker.render(frame(beats=12.0))
    assert mid.timings["fade"] == pytest.approx(0.5)
    assert np.allclose(mid.latent, slerp(za, zb, 0.5))
    direct = factory(_holding(registry, slerp(za, zb, 0.5)))((48, 32))
    morphed = direct.render(frame(beats=10.0), direct.new_state(), 30.0).image
    assert np.abs(mid.image.astype(int) - morphed).max() <= 1  # the generator drew the mix
    dissolve = (a.image.astype(np.float32) + b.image) / 2
    assert np.abs(mid.image - dissolve).mean() > 5  # not a pixel blend of the two ends


def test_a_fade_begun_while_another_runs_starts_from_the_mix_on_screen(registry, cpu):
    """A motion edit (or a preset) fading in while a crossfade is still running: the picture
    goes on from the mix it shows, the first fade finishing underneath, instead of jumping
    to that fade's end."""
    from app.engine.motion import slerp
    from app.engine.renderer import FrameRenderer

    za, zb, zc = np.random.default_rng(7).standard_normal((3, 64))

    def factory(vector):
        patch, path = _holding(registry, vector)
        return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    worker = RenderWorker(factory(za), (48, 32), Mailbox(), fps=30.0, auto_resolution=False)
    worker.render(frame(beats=4.5))
    worker.load(factory(zb), fade_beats=4.0, quantize="now")  # a -> b over beats 4.5-8.5
    worker.render(frame(beats=4.5))
    mix = worker.render(frame(beats=6.5)).latent
    assert np.allclose(mix, slerp(za, zb, 0.5))
    worker.load(factory(zc), fade_beats=2.0, quantize="now")  # -> c over beats 6.5-8.5
    assert np.allclose(worker.render(frame(beats=6.5)).latent, mix)  # no jump to b
    both = worker.render(frame(beats=7.5))
    assert np.allclose(both.latent, slerp(slerp(za, zb, 0.84375), zc, 0.5))
    assert np.allclose(worker.render(frame(beats=8.5)).latent, zc)


def test_at_most_max_fades_run_at_once(registry, cpu):
    """Edits in quick succession (a keyframe dragged) each begin a fade: older ones are cut
    short, so a frame never draws more than MAX_FADES of them."""
    from app.engine.render_worker import MAX_FADES
    from app.engine.renderer import FrameRenderer

    patch, path = _holding(registry, np.ones(64))

    def make(size):
        return FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    worker = RenderWorker(make, (16, 16), Mailbox(), fps=30.0, auto_resolution=False)
    worker.render(frame(beats=4.5))
    for k in range(MAX_FADES + 3):
        worker.load(make, fade_beats=8.0, quantize="now")
        worker.render(frame(beats=4.5 + 0.1 * k))
    assert len(worker.player._fade.chain(5.0)) == MAX_FADES


def test_a_dissolve_begun_while_another_runs_starts_from_the_mix_on_screen(registry, cpu):
    """The same across generators (no shared latent space: pictures dissolve)."""
    from app.engine.renderer import FrameRenderer

    z = np.random.default_rng(8).standard_normal(64)

    def factory(look):
        patch, path = _holding(registry, z)
        patch = patch.model_copy(
            update={"generator": patch.generator.model_copy(update={"look": look})}
        )
        return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    worker = RenderWorker(factory("nebula"), (48, 32), Mailbox(), fps=30.0, auto_resolution=False)
    worker.render(frame(beats=4.5))
    worker.load(factory("plasma"), fade_beats=4.0, quantize="now")
    worker.render(frame(beats=4.5))
    mix = worker.render(frame(beats=6.5)).image.astype(int)
    worker.load(factory("strata"), fade_beats=2.0, quantize="now")
    assert np.abs(worker.render(frame(beats=6.5)).image - mix).max() <= 1  # not plasma alone
    end = worker.render(frame(beats=8.5)).image
    alone = factory("strata")((48, 32))
    assert (
        np.abs(
            end.astype(int) - alone.render(frame(beats=8.5), alone.new_state(), 30.0).image
        ).max()
        <= 1
    )


def test_another_generator_or_different_effects_still_crossfade(registry, cpu):
    from app.core.patch import EffectsSpec
    from app.engine.renderer import FrameRenderer

    z = np.random.default_rng(6).standard_normal(64)

    def factory(patch_and_path):
        patch, path = patch_and_path
        return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    plain = _holding(registry, z)
    mirrored = _holding(registry, z, effects=EffectsSpec(mirror="horizontal"))
    worker = RenderWorker(factory(plain), (48, 32), Mailbox(), fps=30.0, auto_resolution=False)
    start = worker.render(frame(beats=4.5)).image.astype(np.float32)
    worker.load(factory(mirrored), fade_beats=4.0, quantize="bar")
    worker.render(frame(beats=5.0))
    mid = worker.render(frame(beats=10.0)).image
    end = worker.render(frame(beats=12.0)).image
    # same latent: effects blend halfway (to within the rounding of each frame, before
    # and after its uint8 upscale)
    assert np.abs(mid - (start + end) / 2).max() <= 2


def test_stop_draws_black_without_rendering_and_play_resumes(registry, cpu):
    patch, path = _holding(registry, np.ones(64))
    from app.engine.renderer import FrameRenderer

    worker = RenderWorker(
        lambda size: FrameRenderer(patch, registry, size, cpu),
        (32, 18),
        Mailbox(),
        fps=30.0,
        auto_resolution=False,
    )
    events = []
    worker.on_event = events.append
    assert worker.render(frame()).image.max() > 0
    worker.set_playing(False)
    stopped = worker.render(frame(beats=5.0))
    assert stopped.image.max() == 0 and stopped.beats == 5.0 and worker.stopped
    worker.set_playing(True)
    assert worker.render(frame(beats=6.0)).image.max() > 0
    assert [(e["type"], e["playing"]) for e in events] == [
        ("transport", False),
        ("transport", True),
    ]


def test_generator_cache_reuses_one_latent_space_and_forgets_on_request(cpu):
    from app.core.patch import GeneratorSpec
    from app.engine.generators import GeneratorCache

    cache = GeneratorCache()
    spec = GeneratorSpec(look="cells")
    first = cache.get(spec, (32, 18), cpu, seed=1)
    assert cache.get(spec, (32, 18), cpu, seed=1) is first
    assert cache.get(spec, (64, 36), cpu, seed=1) is not first  # another size
    assert cache.get(spec, (32, 18), cpu, seed=2) is not first  # other weights
    assert cache.get(spec, (32, 18), cpu, seed=1) is not first  # only one space kept
    again = cache.get(spec, (32, 18), cpu, seed=1)
    cache.forget()
    assert cache.get(spec, (32, 18), cpu, seed=1) is not again


def test_a_fade_begun_while_another_runs_keeps_fading_out_the_first_patchs_effects(registry, cpu):
    """a (mirrored) -> b (plain) is halfway when c (plain) begins to fade in: a's mirror goes
    on fading out under both fades instead of dropping out as c's fade starts."""
    from app.core.patch import EffectsSpec
    from app.engine.renderer import FrameRenderer

    z = np.random.default_rng(9).standard_normal(64)

    def factory(patch_and_path):
        patch, path = patch_and_path
        return lambda size: FrameRenderer(patch, registry, size, cpu, preset_dir=path.parent)

    mirrored = factory(_holding(registry, z, effects=EffectsSpec(mirror="horizontal")))
    plain = factory(_holding(registry, z))
    worker = RenderWorker(mirrored, (48, 32), Mailbox(), fps=30.0, auto_resolution=False)
    worker.render(frame(beats=4.5))
    worker.load(plain, fade_beats=4.0, quantize="now")  # a -> b over beats 4.5-8.5
    worker.render(frame(beats=4.5))
    worker.render(frame(beats=6.5))
    worker.load(plain, fade_beats=2.0, quantize="now")  # -> c over beats 6.5-8.5
    worker.render(frame(beats=6.5))

    def alone(make, beats):
        renderer = make((48, 32))
        return renderer.render(frame(beats=beats), renderer.new_state(), 30.0).image

    def smoothstep(x):
        return x * x * (3 - 2 * x)

    for beats in (6.75, 7.0):
        shown = worker.render(frame(beats=beats)).image.astype(np.float32)
        share_a = (1 - smoothstep((beats - 4.5) / 4)) * (1 - smoothstep((beats - 6.5) / 2))
        expected = share_a * alone(mirrored, beats) + (1 - share_a) * alone(plain, beats)
        assert share_a > 0.2 and np.abs(shown - expected).max() <= 2
