"""OSC in and out over 127.0.0.1 (never another address): a python-osc client sets
parameters, fires triggers and tempo commands in a running engine; beats go out when the
pictures' beat clock crosses them; parameter feedback; a burst of 10,000 bad packets is
counted while the engine keeps its frame rate and nothing changes that shouldn't."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import ThreadingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from app.live import LiveEngine, LiveOptions
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Listener:
    """A test OSC server on 127.0.0.1 keeping (arrival, address, args) of every message;
    ``on_message`` (optional) runs on arrival."""

    def __init__(self, on_message=None) -> None:
        self.received: list[tuple[float, str, tuple]] = []
        self.on_message = on_message
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._handle)
        self.server = ThreadingOSCUDPServer((HOST, 0), dispatcher)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handle(self, address: str, *args) -> None:
        if self.on_message is not None:
            self.on_message(address, args)
        self.received.append((time.monotonic(), address, args))

    def of(self, address: str) -> list[tuple]:
        return [args for _, a, args in list(self.received) if a == address]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def engine_with_osc():
    port, listener = free_port(), Listener()
    engine = LiveEngine(LiveOptions(play="demo", size=(64, 36), osc_in=str(port),
                                    osc_out=[f"{HOST}:{listener.port}"])).start()  # fmt: skip
    yield engine, SimpleUDPClient(HOST, port), listener
    engine.stop()
    listener.close()


def test_parameters_triggers_and_tempo_from_osc(engine_with_osc):
    engine, client, _ = engine_with_osc
    client.send_message("/latentvj/param/fx.saturation", 1.5)
    client.send_message("/latentvj/param/fx.hue.shift/norm", 0.5)
    client.send_message("/latentvj/param/fx.brightness", 99.0)  # clamped to its range
    client.send_message("/latentvj/trigger/blackout", [])
    client.send_message("/latentvj/tempo/bpm", 97.0)
    wait_until(lambda: engine.status().osc_messages == 5, 10, "five messages applied")
    store = engine.store
    assert store.get("fx.saturation") == 1.5 and store.get("fx.hue.shift") == 180.0
    assert store.get("fx.brightness") == engine.registry["fx.brightness"].max
    wait_until(lambda: engine.status().blackout, 10, "the blackout trigger")
    wait_until(lambda: engine.analyzer.clock.bpm == 97.0, 10, "the tempo command")
    assert engine.osc.receiver.counts.clamped == 1
    assert "osc=5msgs/0dropped" in engine.status().line()


def test_beats_go_out_within_a_frame_of_the_pictures_clock(engine_with_osc):
    engine, _, _ = engine_with_osc
    errors: list[float] = []

    def on_beat(address: str, args: tuple) -> None:
        if address == "/latentvj/beat":  # where the engine's clock is as it arrives
            _, beats = engine.stream_now()
            errors.append((beats - args[1]) * 60.0 / engine.status().bpm)

    checker = Listener(on_beat)
    engine.osc.sender.targets.append((HOST, checker.port))
    try:
        wait_until(lambda: len(errors) >= 8, 30, "eight beats")
    finally:
        checker.close()
    frame_s = 1.0 / engine.options.fps
    assert max(abs(e) for e in errors[1:]) < frame_s, errors
    beats = checker.of("/latentvj/beat")
    indices = [args[0] for args in beats]
    assert set(indices) <= {0, 1, 2, 3} and all(
        (b[0] - a[0]) % 4 == 1 for a, b in zip(beats, beats[1:]))  # fmt: skip
    assert checker.of("/latentvj/bpm") and checker.of("/latentvj/bands")


def test_parameter_feedback_and_the_preset_go_out(engine_with_osc):
    engine, client, listener = engine_with_osc
    engine.store.set("fx.hue.shift", 90.0, source="midi")
    wait_until(lambda: (90.0,) in listener.of("/latentvj/param/fx.hue.shift"), 10,
               "the feedback")  # fmt: skip
    client.send_message("/latentvj/param/fx.saturation", 0.5)  # a tablet's own move ...
    wait_until(lambda: engine.store.get("fx.saturation") == 0.5, 10, "the tablet's move")
    sent = engine.osc.sender.sent
    wait_until(lambda: engine.osc.sender.sent >= sent + 2, 10, "two more bundles")
    assert not listener.of("/latentvj/param/fx.saturation")  # ... is not echoed back
    wait_until(lambda: listener.of("/latentvj/preset"), 10, "the preset's name")
    assert listener.of("/latentvj/preset")[-1] == (engine.patch.name,)


def garbage(rng: np.random.Generator, i: int) -> bytes:
    """Ten kinds of bad traffic, in turn."""
    kind = i % 10
    if kind == 0:
        return rng.bytes(int(rng.integers(1, 200)))
    if kind == 1:
        return b"/latentvj/param/fx.hue.shift\x00\x00\x00\x00,f\x00"  # truncated
    if kind == 2:
        return b"#bundle\x00" + rng.bytes(24)
    message = {3: ("/latentvj/param/nope", [1.0]), 4: ("/elsewhere", [1]),
               5: ("/latentvj/param/fx.hue.shift", ["a string"]),
               6: ("/latentvj/param/fx.hue.shift", [float("nan")]),
               7: ("/latentvj/param/fx.hue.shift", [1.0, 2.0]),
               8: ("/latentvj/tempo/bpm", [1e30]),
               9: ("/latentvj/trigger/nope", [])}[kind]  # fmt: skip
    builder = OscMessageBuilder(message[0])
    for arg in message[1]:
        builder.add_arg(arg)
    return builder.build().dgram


def test_ten_thousand_bad_packets_are_counted_and_change_nothing(engine_with_osc):
    engine, client, _ = engine_with_osc
    wait_until(lambda: engine.worker.rendered > 30, 20, "frames")
    before = dict(engine.store.snapshot().values)
    start_frames, t0 = engine.worker.rendered, time.monotonic()
    wait_until(lambda: time.monotonic() - t0 > 1.0, 5, "a second")
    baseline = (engine.worker.rendered - start_frames) / (time.monotonic() - t0)
    rng = np.random.default_rng(0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start_frames, t0 = engine.worker.rendered, time.monotonic()
    for i in range(10_000):
        sock.sendto(garbage(rng, i), (HOST, engine.osc.listen[1]))
    sock.close()
    wait_until(lambda: engine.osc.receiver.counts.dropped >= 10_000, 30, "all counted")
    wait_until(lambda: time.monotonic() - t0 > 1.0, 5, "a second")
    during = (engine.worker.rendered - start_frames) / (time.monotonic() - t0)
    counts = engine.osc.receiver.counts
    assert (counts.dropped, counts.messages) == (10_000, 0)
    assert counts.malformed >= 2000 and counts.unknown >= 3000 and counts.rejected >= 4000
    assert during > 0.8 * baseline, (during, baseline)
    assert dict(engine.store.snapshot().values) == before
    assert engine.analyzer.clock.source == "audio"  # no bpm 1e30 got through
    assert "osc=0msgs/10000dropped" in engine.status().line()


def test_live_headless_takes_osc(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "live", "--headless", "--play", "--seconds",
         "6", "--size", "64x36", "--osc-in", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        first = process.stdout.readline()  # the engine is up
        assert first.startswith("latentvj live:"), first
        client = SimpleUDPClient(HOST, port)
        client.send_message("/latentvj/tempo/bpm", 97.0)
        client.send_message("/latentvj/param/fx.saturation", 0.2)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    last = [line for line in out.splitlines() if line.startswith("t=")][-1]
    assert "bpm=  97.0" in last and "osc=2msgs/0dropped" in last, last


def test_a_busy_port_is_one_line(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((HOST, 0))
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "live", "--headless", "--play",
             "--seconds", "1", "--osc-in", str(port)], cwd=ROOT, capture_output=True,
            text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert result.returncode == 2 and "--osc-in 127.0.0.1:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "live", "--headless",
                          "--osc-out", "nowhere"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    assert bad.returncode == 2 and "--osc-out 'nowhere': not PORT or HOST:PORT" in bad.stderr


def test_osc_learn_binds_a_tablets_own_addresses_and_the_map_keeps_them(tmp_path):
    port = free_port()
    engine = LiveEngine(LiveOptions(play="demo", size=(64, 36), osc_in=str(port))).start()
    client = SimpleUDPClient(HOST, port)
    try:
        engine.command("learn-osc fx.hue.shift")
        client.send_message("/1/fader1", 0.1)  # TouchOSC's first page, first fader
        wait_until(lambda: "/1/fader1" in engine.osc.bindings, 10, "the fader learned")
        client.send_message("/1/fader1", 0.5)  # far from the hue (0): soft takeover waits
        client.send_message("/1/fader1", 0.0)  # ... until the fader reaches it
        client.send_message("/1/fader1", 0.5)
        wait_until(lambda: engine.store.get("fx.hue.shift") == 180.0, 10, "the fader's move")
        assert engine.osc.receiver.counts.messages == 4
        engine.command("learn-osc trigger:blackout")
        client.send_message("/1/push1", 1.0)
        wait_until(lambda: "/1/push1" in engine.osc.bindings, 10, "the button learned")
        client.send_message("/1/push1", 1.0)
        wait_until(lambda: engine.status().blackout, 10, "the button's press")
        client.send_message("/1/unknown", 1.0)  # not learned: counted, dropped
        wait_until(lambda: engine.osc.receiver.counts.unknown == 1, 10, "the unknown address")
        engine.command(f"save-map {tmp_path / 'tablet.json'}")
    finally:
        engine.stop()
    saved = __import__("json").loads((tmp_path / "tablet.json").read_text())
    assert [(b["address"], b["target"]) for b in saved["osc"]] == [
        ("/1/fader1", "fx.hue.shift"), ("/1/push1", "trigger:blackout")]  # fmt: skip
    again = LiveEngine(LiveOptions(play="demo", size=(64, 36), osc_in=str(port),
                                   midi_map=str(tmp_path / "tablet.json")))  # fmt: skip
    assert set(again.osc.bindings) == {"/1/fader1", "/1/push1"}
