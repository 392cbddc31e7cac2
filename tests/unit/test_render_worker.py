import threading

import numpy as np
import pytest

from app.core.mailbox import Mailbox
from app.core.types import AnalysisFrame, RenderedFrame, TimedFrame
from app.engine.render_worker import RenderWorker, advance


def frame(beats=3.9, bpm=120.0, bar_phase=0.975):
    return AnalysisFrame(t_s=10.0, beats=beats, bpm=bpm, beat_phase=beats % 1, bar_phase=bar_phase,
                         onset=0.0, is_beat=False, rms=0.0, bands=(0, 0, 0), chroma=(0,) * 12)


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

    def render(self, analysis, state, fps):
        n = len(self.calls)
        self.calls.append(analysis)
        if n in self.stall_on:
            self.release.wait(timeout=5)
        if n in self.fail_on:
            raise RuntimeError("generator exploded")
        return RenderedFrame(seq=n, t_s=analysis.t_s, image=np.zeros((2, 2, 3), np.uint8))


def run_until(worker, count):
    done = threading.Event()
    seen = []

    def on_frame(f):
        seen.append(f)
        if len(seen) >= count:
            done.set()
    worker.on_frame = on_frame
    worker.start()
    assert done.wait(timeout=10)
    worker.stop()
    return seen


def test_errors_come_back_as_data_and_the_worker_keeps_going():
    box: Mailbox[TimedFrame] = Mailbox()
    worker = RenderWorker(ScriptedRenderer(fail_on={1}), box, fps=200.0)
    frames = run_until(worker, 4)
    assert frames[1].error == "RuntimeError: generator exploded"
    assert frames[2].error is None and worker.errors == 1


def test_a_stalled_frame_is_skipped_not_rendered_late():
    release = threading.Event()
    box: Mailbox[TimedFrame] = Mailbox()
    renderer = ScriptedRenderer(stall_on={2}, release=release)
    worker = RenderWorker(renderer, box, fps=100.0)
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
    run_until(RenderWorker(renderer, box, fps=100.0), 1)
    assert renderer.calls[0].beats == pytest.approx(8.5, abs=0.05)
