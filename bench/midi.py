"""MIDI through a real JACK dummy server: control-to-parameter latency and clock accuracy.

    python bench/midi.py [--messages 500] [--period 256]

A sender (python-rtmidi virtual port, this process) plays a controller into a MidiSession
running the shipped 8-knob / 8-fader map:

- CC in -> parameter applied: from the sender's send() to the moment the ParamStore holds
  the new value (the render thread reads it at its next frame, so add up to one frame
  period for it to be drawn). JACK delivers MIDI once per cycle: up to one period of this is
  the server's, not ours; the same run reports the bare delivery time (send -> our rtmidi
  callback) as the baseline.
- MIDI clock at 120 and 174 BPM: tempo error after 2 beats and after 8 beats, and the beat
  phase error (clock's beat time minus the send time of the beat's tick) after 8 beats.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
from _common import machine, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--period", type=int, default=256, help="JACK period (frames)")
    args = parser.parse_args()

    import rtmidi

    from app.core.params import ParamStore
    from app.core.tempo import TempoClock
    from app.engine.param_specs import build_registry
    from app.midi.mapping import CONTROLLER_MAPS_DIR, load_map
    from app.midi.session import MidiSession
    from tests.io.jack import jack_available, jack_server

    if not jack_available():
        raise SystemExit("needs jackd (apt-get install jackd2)")
    registry = build_registry()
    with jack_server(48_000, period=args.period):
        out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="bench")
        out.open_virtual_port("out")
        store = ParamStore(registry)
        cmap, _ = load_map(CONTROLLER_MAPS_DIR / "8-knobs-8-faders.json", registry)
        clock = TempoClock(source="midi")
        session = MidiSession(
            ["bench"], store, cmap, lambda command: command(clock, time.monotonic()), api="jack"
        ).start()
        done = threading.Event()
        delivered: list[float] = []
        applied: list[float] = []
        inner_callback = session.inputs._callback
        inner_handler = session.inputs.on_message

        def callback(event, port):
            delivered.append(time.monotonic())
            inner_callback(event, port)

        def handler(*a):
            inner_handler(*a)
            applied.append(time.monotonic())
            done.set()

        # re-register the rtmidi callback through the timing wrapper
        for port in session.inputs._open.values():
            port.midi_in.cancel_callback()
            port.midi_in.set_callback(callback, port.name)
        session.inputs.on_message = handler

        sent: list[float] = []
        rng = np.random.default_rng(0)
        store.set("fx.hue.shift", 0.0)
        for k in range(args.messages):
            done.clear()
            time.sleep(rng.uniform(0.005, 0.02))  # controller moves at random moments
            sent.append(time.monotonic())
            out.send_message([0xB0, 16, (k * 7) % 128])  # knob 1 -> fx.hue.shift
            done.wait(1.0)
        cc_rows = []
        for label, ends in (
            ("send -> our rtmidi callback (JACK delivery)", delivered),
            ("send -> parameter applied", applied),
        ):
            ms = 1e3 * (np.array(ends[: len(sent)]) - np.array(sent[: len(ends)]))
            cc_rows.append(
                [
                    label,
                    str(len(ms)),
                    f"{np.median(ms):.2f}",
                    f"{np.percentile(ms, 95):.2f}",
                    f"{np.percentile(ms, 99):.2f}",
                    f"{ms.max():.2f}",
                ]
            )

        session.inputs.on_message = inner_handler
        clock_rows = []
        for bpm in (120.0, 174.0):
            period = 60.0 / bpm / 24
            out.send_message([0xFA])
            t0 = time.monotonic() + 0.05
            ticks: list[float] = []
            after2 = None
            for k in range(8 * 24 + 1):
                while (wait := t0 + k * period - time.monotonic()) > 0:
                    time.sleep(min(wait, 0.002))
                out.send_message([0xF8])
                ticks.append(time.monotonic())
                if k == 2 * 24 + 6:  # a 16th after beat 2's tick: that reading has landed
                    after2 = clock.bpm
            time.sleep(0.1)  # let the last ticks drain before reading the clock
            beat8 = ticks[8 * 24]
            phase_ms = 1e3 * (clock.time_of_beats(round(clock.beats_at(beat8))) - beat8)
            clock_rows.append(
                [f"{bpm:g}", f"{after2 - bpm:+.3f}", f"{clock.bpm - bpm:+.3f}", f"{phase_ms:+.2f}"]
            )
            out.send_message([0xFC])
            time.sleep(0.6)  # a pause between runs starts a fresh fit
        session.stop()
        out.close_port()
        out.delete()

    print(
        f"\nMIDI through a JACK dummy server (48 kHz, period {args.period} = "
        f"{1e3 * args.period / 48_000:.1f} ms) - {machine()}\n"
    )
    print(table(["CC in", "n", "median ms", "p95 ms", "p99 ms", "max ms"], cc_rows))
    print()
    print(
        table(
            [
                "clock BPM",
                "tempo error after 2 beats",
                "after 8 beats",
                "phase error after 8 beats (ms)",
            ],
            clock_rows,
        )
    )


if __name__ == "__main__":
    main()
