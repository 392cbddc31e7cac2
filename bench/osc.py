"""OSC latency and jitter over 127.0.0.1 on a running engine (the demo track, 640x360 at
30 fps): OSC in message -> the first frame drawn with its value, and OSC out beats against
the engine's beat clock as they arrive (and the steady messages' interval jitter).

    python bench/osc.py [--rounds 200]

Ratios are against the frame period of the same run.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from _common import machine, table


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    import socket

    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import ThreadingOSCUDPServer
    from pythonosc.udp_client import SimpleUDPClient

    from app.live import LiveEngine, LiveOptions

    beat_errors: list[float] = []
    arrivals: list[float] = []
    engine_box: list = []

    def on_message(address: str, *values) -> None:
        now = time.monotonic()
        if address == "/latentvj/bpm":
            arrivals.append(now)
        elif address == "/latentvj/beat" and engine_box:
            engine = engine_box[0]
            _, beats = engine.stream_now()
            beat_errors.append(1e3 * (beats - values[1]) * 60.0 / engine.status().bpm)

    dispatcher = Dispatcher()
    dispatcher.set_default_handler(on_message)
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = LiveEngine(LiveOptions(play="demo", size=(640, 360), osc_in=str(port),
                                    osc_out=[f"127.0.0.1:{server.server_address[1]}"])).start()  # fmt: skip
    engine_box.append(engine)
    client = SimpleUDPClient("127.0.0.1", port)
    latencies: list[float] = []
    try:
        wanted: list[tuple[float, float]] = []  # (value, sent at)
        done = threading.Event()
        real = engine.worker.on_frame

        def on_frame(frame) -> None:
            real(frame)
            if wanted and abs(frame.params.get("fx.saturation", -1) - wanted[0][0]) < 1e-6:
                latencies.append(1e3 * (time.perf_counter() - wanted[0][1]))
                wanted.clear()
                done.set()

        engine.worker.on_frame = on_frame
        done.wait(2.0)
        for i in range(args.rounds):
            value = 0.5 + (i % 2) * 0.5
            done.clear()
            wanted.append((value, time.perf_counter()))
            client.send_message("/latentvj/param/fx.saturation", value)
            done.wait(2.0)
            done.wait(0.013 * (1 + i % 3))  # land at different points of the frame period
        deadline = time.monotonic() + 30.0
        while len(beat_errors) < 16 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        engine.stop()
        server.shutdown()
    frame_ms = 1e3 / engine.options.fps
    gaps = [1e3 * (b - a) for a, b in zip(arrivals, arrivals[1:])]
    rows = [
        ["OSC in -> frame drawn with it, median", f"{statistics.median(latencies):.1f}",
         f"{statistics.median(latencies) / frame_ms:.2f}"],
        ["OSC in -> frame drawn with it, p99", f"{percentile(latencies, 99):.1f}",
         f"{percentile(latencies, 99) / frame_ms:.2f}"],
        ["OSC out beat - engine beat clock, median abs error",
         f"{statistics.median(abs(e) for e in beat_errors[1:]):.2f}", ""],
        ["OSC out beat - engine beat clock, max abs error",
         f"{max(abs(e) for e in beat_errors[1:]):.2f}", ""],
        ["OSC out steady messages: interval std (at 30/s)", f"{statistics.pstdev(gaps):.2f}", ""],
    ]  # fmt: skip
    print(f"\nOSC over 127.0.0.1, 640x360 @ 30 fps, {len(latencies)} messages, "
          f"{len(beat_errors)} beats - {machine()}\n")  # fmt: skip
    print(table(["measure", "ms", "x frame period"], rows))


if __name__ == "__main__":
    main()
