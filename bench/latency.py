"""Live latency: onset in -> frame ready, and where beat flashes land with compensation.

    python bench/latency.py [--seconds 30] [--size 640x360] [--fps 30]

A feeder thread delivers a 123 BPM click track in 512-sample blocks at 48 kHz in real time,
as a PortAudio callback would, and records when each block arrived. The analyzer thread and
the render worker run the default preset at the given size and fps on the CPU.

- onset -> frame: from the arrival of the block holding a click to the moment the first
  frame rendered from an analysis that includes it is ready.
- flash offset: with latency compensation (the analyzer predicts beats ahead by the
  measured render time plus half a frame, so a beat lands on the nearest frame), the time a
  frame showing a new beat is ready minus the time that beat's audio arrived. Frames come
  every 1/fps, so this spreads over +-half a frame around its median.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
from _common import machine, table

SR = 48_000
BLOCK = 512
BPM = 123.0  # not a multiple of common frame rates: beats sweep across the frame grid


def click_track(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(int(SR * seconds), dtype=np.float32)
    beats = np.arange(0.25, seconds - 0.1, 60.0 / BPM)
    t = np.arange(int(0.02 * SR)) / SR
    click = (0.8 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.004)).astype(np.float32)
    for b in beats:
        i = int(round(b * SR))
        y[i:i + click.size] += click
    return y, beats


def run(seconds: float, size: tuple[int, int], fps: float, lookahead_s: float):
    from app.audio.analysis_thread import AnalysisThread
    from app.audio.online import OnlineAnalyzer
    from app.audio.ring import AudioRing
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.render_worker import RenderWorker
    from app.engine.renderer import FrameRenderer

    audio, beats = click_track(seconds)
    n_blocks = len(audio) // BLOCK
    arrived = np.zeros(n_blocks)
    ring = AudioRing(SR * 4, 1)
    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    placement = resolve_placement("cpu")

    def make_renderer(internal):
        return FrameRenderer(patch, registry, internal, placement, preset_dir=path.parent)
    analysis = AnalysisThread(ring, OnlineAnalyzer(SR, lookahead_s=lookahead_s),
                              lambda b: b[:, 0]).start()
    frames: list[tuple[float, float, float, float]] = []  # ready, stream t, age s, beats

    def on_frame(f):
        frames.append((time.monotonic(), f.t_s, f.timings.get("analysis_age_ms", 0) / 1e3,
                       f.beats))
    worker = RenderWorker(make_renderer, size, analysis.latest, fps, on_frame=on_frame,
                          auto_resolution=False).start()  # measured at the size asked for
    stop = threading.Event()

    def feeder():
        t0 = time.monotonic()
        for k in range(n_blocks):
            due = t0 + (k + 1) * BLOCK / SR  # a callback gets a block once it is complete
            while (wait := due - time.monotonic()) > 0:
                stop.wait(wait)
            ring.write(audio[k * BLOCK:(k + 1) * BLOCK, None])
            arrived[k] = time.monotonic()
    feed = threading.Thread(target=feeder)
    feed.start()
    feed.join()
    worker.stop()
    analysis.stop()
    return beats, arrived, np.array(frames), worker.stats()


def main() -> None:
    from app.cli import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", type=parse_size, default=(640, 360))
    parser.add_argument("--fps", type=float, default=30.0)
    args = parser.parse_args()

    # pass 1: no compensation; onset -> frame latency
    beats, arrived, frames, stats = run(args.seconds, args.size, args.fps, 0.0)
    frames = frames[frames[:, 2] > 0]  # frames rendered before any audio had no analysis
    ready, t_stream, age = frames[:, 0], frames[:, 1], frames[:, 2]
    source_t = t_stream - age  # stream time of the newest hop each frame was rendered from
    latencies = []
    for b in beats[beats > 2.0]:
        k = int(b * SR) // BLOCK
        if k >= len(arrived):
            continue
        hop_end = (k + 1) * BLOCK / SR
        idx = np.nonzero(source_t >= hop_end - 1e-9)[0]
        if len(idx):
            latencies.append(ready[idx[0]] - arrived[k])
    lat_ms = 1e3 * np.array(latencies)
    render_ms = stats.render_ms

    # pass 2: beats are predicted, so the analysis delay does not matter; what does is the
    # time from a frame tick to the frame being ready (render) and landing the beat on the
    # nearest tick (half a frame). A real rig adds its display latency (--latency-ms).
    lookahead = render_ms / 1e3 + 0.5 / args.fps
    beats2, arrived2, frames2, stats2 = run(args.seconds, args.size, args.fps, lookahead)
    t0 = arrived2[0] - BLOCK / SR  # wall time of stream time 0
    frames2 = frames2[frames2[:, 2] > 0]
    beat_frames = frames2[1:][np.floor(frames2[1:, 3]) > np.floor(frames2[:-1, 3])]
    offsets = []
    for ready_s, *_rest in beat_frames:
        audio_t = t0 + beats2  # when each beat's audio arrived (stream time on the wall)
        j = int(np.argmin(np.abs(audio_t - ready_s)))
        if beats2[j] > 8.0:  # after the tracker has locked
            offsets.append(ready_s - audio_t[j])
    off_ms = 1e3 * np.array(offsets)

    print(f"\nLive latency, {args.size[0]}x{args.size[1]} @ {args.fps:g} fps, preset "
          f"nebula-drift, CPU, {args.seconds:g} s of 123 BPM clicks - {machine()}\n")
    print(table(["measure", "n", "median ms", "p95 ms", "p99 ms"], [
        ["onset in -> frame ready", str(len(lat_ms)), f"{np.median(lat_ms):.1f}",
         f"{np.percentile(lat_ms, 95):.1f}", f"{np.percentile(lat_ms, 99):.1f}"],
        [f"beat flash ready - beat (lookahead {1e3 * lookahead:.0f} ms)", str(len(off_ms)),
         f"{np.median(off_ms):+.1f}", f"{np.percentile(np.abs(off_ms), 95):.1f} (abs)",
         f"{np.percentile(np.abs(off_ms), 99):.1f} (abs)"],
    ]))
    print(f"\nrender {render_ms:.1f} ms/frame, {stats.fps:.1f} fps, {stats.skipped} ticks "
          f"skipped (pass 1); {stats2.skipped} skipped (pass 2)")


if __name__ == "__main__":
    main()
