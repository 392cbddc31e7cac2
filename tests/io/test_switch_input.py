"""Switching the live engine's input while it renders (a real JACK server for the device)."""

from __future__ import annotations

import threading

import pytest

from app.core.errors import UserError
from app.live.engine import LiveEngine, LiveOptions
from tests.io.jack import jack_available, jack_server
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]


def frames_keep_coming(engine: LiveEngine, n: int = 10) -> bool:
    done = threading.Event()
    start = engine.worker.rendered
    engine.worker.on_frame = lambda f: done.set() if engine.worker.rendered >= start + n else None
    return done.wait(10)


def test_switch_from_the_demo_track_to_a_device_and_back_while_rendering():
    with jack_server():
        engine = LiveEngine(LiveOptions(play="demo", size=(64, 36))).start()
        try:
            assert "demo track" in engine.where and frames_keep_coming(engine)
            engine.command("bpm 97")  # the performer's tempo, on the analyzer's thread
            wait_until(lambda: engine.analyzer.clock.bpm == 97.0, 10, "the tempo command")
            old_analysis = engine.analysis
            _, before = engine.stream_now()
            engine.switch_input(audio_device="system")
            assert "input 'system'" in engine.where and engine.audio.device_name == "system"
            assert engine.worker.analysis is engine.analysis.latest
            assert old_analysis._thread.is_alive() is False  # the old analyzer stopped
            assert frames_keep_coming(engine)
            # the beat clock went on: no jump back to beat 0, the manual tempo kept
            clock = engine.analyzer.clock
            assert clock.source == "manual" and clock.bpm == 97.0
            _, after = engine.stream_now()
            assert before < after < before + 2.0
            with pytest.raises(UserError):
                engine.switch_input(audio_device="no such device")
            assert "input 'system'" in engine.where and frames_keep_coming(engine)
            engine.switch_input(play="demo")
            assert engine.audio.device_name is None and frames_keep_coming(engine)
        finally:
            engine.stop()
