"""Real MIDI through a JACK dummy server: python-rtmidi virtual ports play a controller and
a clock into latentvj's MIDI inputs (recipe: ../shared/notes/realtime-io.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.params import ParamStore
from app.core.tempo import NUDGE_BEATS, TempoClock
from app.engine.param_specs import build_registry
from app.midi.mapping import parse_map
from app.midi.session import MidiSession
from tests.io.jack import jack_available, jack_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jack():
    with jack_server(48_000, period=256) as name:
        yield name


class Sender:
    """A controller: an rtmidi output on a virtual JACK port (``NAME:out``)."""

    def __init__(self, name: str = "ctl") -> None:
        import rtmidi

        self.out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=name)
        self.out.open_virtual_port("out")

    def send(self, *messages: list[int]) -> None:
        for message in messages:
            self.out.send_message(message)

    def close(self) -> None:
        if self.out is not None:
            self.out.close_port()
            self.out.delete()
            self.out = None


class Handled:
    """Counts messages the session has finished handling, so a test waits for them."""

    def __init__(self, session: MidiSession) -> None:
        self.count = 0
        self.cond = threading.Condition()
        inner = session.inputs.on_message

        def wrapped(*args) -> None:
            inner(*args)
            with self.cond:
                self.count += 1
                self.cond.notify_all()

        session.inputs.on_message = wrapped

    def wait(self, n: int, timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.count >= n, timeout), (
                f"only {self.count} of {n} messages arrived"
            )


MAP = {
    "name": "test",
    "bindings": [
        {"control": "cc", "number": 1, "target": "fx.hue.shift", "soft_takeover": False},
        {"control": "cc14", "number": 2, "target": "fx.feedback.rotate", "soft_takeover": False},
        {
            "control": "cc",
            "number": 10,
            "target": "fx.kaleido.rotate",
            "encoding": "twos_complement",
        },
        {"control": "cc", "number": 11, "target": "fx.kaleido.rotate", "encoding": "binary_offset"},
        {
            "control": "cc",
            "number": 12,
            "target": "fx.kaleido.rotate",
            "encoding": "sign_magnitude",
        },
        {"control": "cc", "number": 20, "target": "fx.saturation"},
        {"control": "note", "number": 36, "target": "trigger:flash"},
        {"control": "note", "number": 37, "target": "trigger:tap"},
        {"control": "note", "number": 38, "target": "trigger:double"},
        {"control": "note", "number": 39, "target": "trigger:halve"},
        {"control": "note", "number": 40, "target": "trigger:lock"},
        {"control": "note", "number": 41, "target": "trigger:nudge_earlier"},
        {"control": "note", "number": 42, "target": "trigger:nudge_later"},
        {"control": "program", "number": 2, "target": "trigger:preset", "argument": "cell-strobe"},
    ],
}


@pytest.fixture
def rig(jack):
    registry = build_registry()
    store = ParamStore(registry)
    cmap, problems = parse_map(MAP, registry, "test map")
    assert not problems
    clock = TempoClock(bpm=100.0, source="midi")
    triggers = []
    sender = Sender()
    session = MidiSession(
        ["ctl"],
        store,
        cmap,
        lambda command: command(clock, time.monotonic()),
        triggers.append,
        api="jack",
        rescan_s=0.2,
    ).start()
    handled = Handled(session)
    try:
        assert session.inputs.open_ports() == ["ctl:out"]
        yield sender, session, handled, store, clock, triggers
    finally:
        session.stop()
        sender.close()


def test_controls_reach_their_parameters(rig):
    sender, session, handled, store, _, triggers = rig
    sender.send([0xB0, 1, 127], [0xB0, 2, 100], [0xB0, 34, 27])
    handled.wait(3)
    assert store.get("fx.hue.shift") == pytest.approx(360.0)
    assert store.get("fx.feedback.rotate") == pytest.approx(-20 + 40 * (100 * 128 + 27) / 16383)
    step = 360.0 / 127
    sender.send([0xB0, 10, 3], [0xB0, 10, 126], [0xB0, 11, 66], [0xB0, 12, 0x41])
    handled.wait(7)
    assert store.get("fx.kaleido.rotate") == pytest.approx(step * (3 - 2 + 2 - 1), abs=1e-6)
    assert session.inputs.events == 7


def test_soft_takeover_through_real_ports(rig):
    sender, _, handled, store, _, _ = rig
    store.set("fx.saturation", 1.5)  # three quarters of the knob's travel
    sender.send([0xB0, 20, 5], [0xB0, 20, 40])
    handled.wait(2)
    assert store.get("fx.saturation") == 1.5  # not picked up: no jump
    sender.send([0xB0, 20, 100], [0xB0, 20, 10])
    handled.wait(4)
    assert store.get("fx.saturation") == pytest.approx(2 * 10 / 127)  # picked up, followed


def test_notes_and_program_changes_fire_triggers(rig):
    sender, _, handled, _, clock, triggers = rig
    sender.send([0x90, 36, 100], [0x80, 36, 0], [0xC0, 2], [0x90, 37, 90], [0x90, 37, 90])
    handled.wait(5)
    assert [(t.name, t.argument) for t in triggers] == [  # taps are heard (and logged) too
        ("flash", ""),
        ("preset", "cell-strobe"),
        ("tap", ""),
        ("tap", ""),
    ]
    assert clock.source == "tap"  # two taps went to the tempo clock


def test_pads_drive_the_tempo_controls(rig):
    sender, _, handled, _, clock, triggers = rig
    sender.send([0x90, 38, 100], [0x90, 40, 100])  # x2, lock
    handled.wait(2)
    assert clock.bpm == pytest.approx(200.0) and clock.locked
    sender.send([0x90, 39, 100], [0x90, 40, 100], [0x90, 41, 100], [0x90, 41, 100])
    handled.wait(6)  # /2, unlock, two nudges earlier
    assert clock.bpm == pytest.approx(100.0) and not clock.locked
    assert clock.phase_offset == pytest.approx(2 * NUDGE_BEATS)
    at = time.monotonic() + 100.0  # an instant to read the beat position at
    before = clock.beats_at(at)
    sender.send([0x90, 42, 100])  # one back
    handled.wait(7)
    assert clock.phase_offset == pytest.approx(NUDGE_BEATS)
    assert clock.beats_at(at) == pytest.approx(before - NUDGE_BEATS)
    assert [t.name for t in triggers] == [
        "double",
        "lock",
        "halve",
        "lock",
        "nudge_earlier",
        "nudge_earlier",
        "nudge_later",
    ]


def test_learn_commit_and_cancel(rig):
    sender, session, handled, store, _, _ = rig
    learn = session.start_learning()
    learn.arm("fx.brightness")
    sender.send([0xB2, 50, 64])  # channel 3, CC 50: learned, and playing at once
    handled.wait(1)
    sender.send([0xB2, 50, 64], [0xB2, 50, 127])  # picks up the value (1.0), then moves it
    handled.wait(3)
    assert store.get("fx.brightness") == pytest.approx(2.0)
    session.finish_learning(commit=False)
    sender.send([0xB2, 50, 0])
    handled.wait(4)
    assert store.get("fx.brightness") == pytest.approx(2.0)  # cancelled: unbound again
    learn = session.start_learning()
    learn.arm("fx.brightness")
    sender.send([0xB2, 50, 127])
    handled.wait(5)
    committed = session.finish_learning(commit=True)
    assert committed.bindings[-1].label() == "cc 50 ch 3 on 'ctl:out' -> fx.brightness"
    sender.send([0xB2, 50, 127], [0xB2, 50, 0])
    handled.wait(7)
    assert store.get("fx.brightness") == 0.0


@pytest.mark.parametrize("bpm", [120.0, 174.0])
def test_midi_clock_locks_tempo_and_phase(rig, bpm):
    sender, session, handled, _, clock, _ = rig
    period = 60.0 / bpm / 24
    sent: list[float] = []
    sender.send([0xFA])  # start: the next tick is beat 0
    t0 = time.monotonic() + 0.05
    for k in range(4 * 24 + 1):  # four beats (the fit's window), and the next downbeat
        while (wait := t0 + k * period - time.monotonic()) > 0:
            time.sleep(min(wait, 0.002))  # pacing a clock source, not synchronisation
        sender.send([0xF8])
        sent.append(time.monotonic())
    handled.wait(4 * 24 + 2)
    # the tempo the ticks were sent at (a loaded machine paces them a little off)
    played = 60.0 / (24 * np.polyfit(np.arange(len(sent)), sent, 1)[0])
    assert abs(played - bpm) <= 1.0
    assert abs(clock.bpm - played) <= 0.5
    beat4 = sent[96]
    assert abs(clock.time_of_beats(round(clock.beats_at(beat4))) - beat4) < 0.005
    assert clock.bar_phase_at(sent[0]) == pytest.approx(0.0, abs=0.01) or clock.bar_phase_at(
        sent[0]
    ) == pytest.approx(1.0, abs=0.01)  # Start is a downbeat


def test_a_port_that_goes_away_is_reopened_with_its_mappings(rig):
    sender, session, handled, store, _, _ = rig
    changed = threading.Event()
    session.inputs.on_ports_changed = lambda ports: changed.set()
    sender.close()
    assert changed.wait(5) and session.inputs.open_ports() == []
    changed.clear()
    again = Sender()  # the device is plugged in again
    try:
        assert changed.wait(5) and session.inputs.open_ports() == ["ctl:out"]
        again.send([0xB0, 1, 0])
        handled.wait(1)
        assert store.get("fx.hue.shift") == 0.0 and session.inputs.reopened == 1
    finally:
        again.close()


def run_cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **kw,
    )


def read_until(proc: subprocess.Popen, needle: str) -> list[str]:
    """Lines of stdout up to and including the first that contains ``needle``."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} never printed; got {lines}\n{proc.stderr.read()}")


def test_midi_list_and_monitor_commands(jack):
    sender = Sender("pads")
    try:
        listed = subprocess.run(
            [sys.executable, "main.py", "midi", "--list", "--api", "jack"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0 and "pads:out" in listed.stdout.splitlines()
        monitor = run_cli("midi", "--monitor", "pads", "--api", "jack", "--seconds", "20")
        read_until(monitor, "monitoring pads:out")
        sender.send([0x99, 36, 90], [0xB0, 7, 100], [0xF8])
        lines = read_until(monitor, "clock")
        monitor.terminate()
        monitor.wait(timeout=10)
        assert "pads:out  ch 10  note on 36 velocity 90" in lines[0]
        assert "pads:out  ch 1   cc 7 = 100" in lines[1]
    finally:
        sender.close()
    missing = subprocess.run(
        [sys.executable, "main.py", "midi", "--monitor", "nothing-here", "--api", "jack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no MIDI input port matches" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_live_engine_recalls_a_preset_from_a_program_change(jack):
    """The shipped 8-knob / 8-fader map: program change 2 recalls cell-strobe while the
    headless engine keeps rendering."""
    sender = Sender("nano")
    live = run_cli(
        "live",
        "--headless",
        "--play",
        "--midi",
        "nano",
        "--midi-api",
        "jack",
        "--seconds",
        "30",
        "--size",
        "160x90",
    )
    try:
        read_until(live, "t=")  # running, with MIDI open
        sender.send([0xC0, 2], [0xB0, 0, 127])
        read_until(live, "preset: cell-strobe")
        status = read_until(live, "midi=")[-1]
        assert "midi=1ports/" in status
    finally:
        sender.close()
        live.terminate()
        live.wait(timeout=20)
