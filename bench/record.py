"""Recording cost: encode throughput per codec and size, and what recording adds to the
live frame time.

    python bench/record.py [--frames 300] [--seconds 8] [--rounds 2]

1. Encode throughput: every codec the bundled ffmpeg offers (h264 as the live recorder
   runs it: zerolatency, standard quality; ProRes standard; HAP), at 640x360 and 1280x720,
   frames of the default generator (24 distinct frames, cycled) with a streamed stereo
   audio track, into Matroska. Frames per second of wall time, and that as a multiple of
   30 fps (above 1: the encoder keeps up with a 30 fps live engine on its own).
2. Live cost: the live engine playing the demo track at 640x360 @ 30 fps (auto-resolution
   off, so the work is fixed), alternately without and with recording (h264, standard)
   for --seconds each, --rounds times. Render time per frame (mean, p95), the frame rate
   and the ticks skipped; the ratio recording / not recording is the recorder's cost.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _common import machine, table

SIZES = [(640, 360), (1280, 720)]
DISTINCT = 24


def generator_frames(size: tuple[int, int]) -> list[np.ndarray]:
    from app.audio.analysis import AnalysisTrack, analyze
    from app.audio.demo_track import demo_clip
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    renderer = FrameRenderer(
        patch, registry, size, resolve_placement("cpu"), preset_dir=path.parent
    )
    state = renderer.new_state()
    track = AnalysisTrack(analyze(demo_clip()), patch.beats_per_bar)
    return [renderer.render(a, state, 30.0).image for a in track.frames(4.0, DISTINCT, 30.0)]


def encode_fps(
    codec: str, size: tuple[int, int], frames: list[np.ndarray], n: int, tmp: Path
) -> float:
    from app.engine.video_writer import QUALITY_PRESETS, AudioStream, VideoWriter

    sr = 48_000
    writer = VideoWriter(
        tmp / f"{codec}-{size[0]}.mkv",
        size,
        30.0,
        AudioStream(sr, 2),
        QUALITY_PRESETS["standard"],
        codec=codec,
        low_latency=True,
    )
    silence = np.zeros((sr // 30, 2), np.float32)

    def audio() -> None:
        for _ in range(n):
            writer.write_audio(silence)
        writer.close_audio()

    t0 = time.perf_counter()
    writer.start()
    pump = threading.Thread(target=audio)
    pump.start()
    for i in range(n):
        writer.write(frames[i % len(frames)])
    pump.join()
    writer.close()
    return n / (time.perf_counter() - t0)


def live_pass(engine, seconds: float, record_to: Path | None) -> dict:
    frames: list = []
    done = threading.Event()
    engine.worker.on_frame = lambda f: (engine._on_frame(f), frames.append(f.timings))
    skipped0 = engine.worker.skipped
    recorder = engine.start_recording(record_to) if record_to else None
    done.wait(seconds)
    skipped = engine.worker.skipped - skipped0
    engine.worker.on_frame = engine._on_frame
    result = None
    if recorder is not None:
        engine.stop_recording()
        result = recorder.wait(60)
    total = [t["total_ms"] for t in frames if "total_ms" in t]
    return {
        "fps": len(frames) / seconds,
        "mean": float(np.mean(total)),
        "p95": float(np.percentile(total, 95)),
        "skipped": skipped,
        "dropped": result.dropped if result else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from app.live.engine import LiveEngine, LiveOptions
    from app.engine.video_writer import offered_codecs

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="latentvj-bench-") as name:
        tmp = Path(name)
        rows = []
        for size in SIZES:
            frames = generator_frames(size)
            for codec in offered_codecs():
                fps = encode_fps(codec, size, frames, args.frames, tmp)
                rows.append([codec, f"{size[0]}x{size[1]}", f"{fps:.0f}", f"{fps / 30:.1f}x"])
        print("\nencode throughput (frames of the default generator, with stereo audio)")
        print(table(["codec", "size", "frames/s", "x 30 fps"], rows))

        engine = LiveEngine(
            LiveOptions(play="demo", size=(640, 360), fps=30.0, auto_resolution=False)
        ).start()
        try:
            live_pass(engine, 2.0, None)  # warm-up
            results: dict[str, list[dict]] = {"off": [], "on": []}
            for k in range(args.rounds):
                results["off"].append(live_pass(engine, args.seconds, None))
                results["on"].append(live_pass(engine, args.seconds, tmp / f"live-{k}.mkv"))
        finally:
            engine.stop()
    rows = []
    for mode in ("off", "on"):
        runs = results[mode]
        rows.append(
            [
                f"recording {mode}",
                f"{np.mean([r['mean'] for r in runs]):.1f}",
                f"{np.mean([r['p95'] for r in runs]):.1f}",
                f"{np.mean([r['fps'] for r in runs]):.1f}",
                str(sum(r["skipped"] for r in runs)),
                str(sum(r["dropped"] for r in runs)),
            ]
        )
    ratio = np.mean([r["mean"] for r in results["on"]]) / np.mean(
        [r["mean"] for r in results["off"]]
    )
    print(
        f"\nlive engine 640x360 @ 30 fps, demo track, {args.rounds} x {args.seconds:g} s each way"
    )
    print(
        table(
            [
                "mode",
                "render ms mean",
                "render ms p95",
                "fps",
                "ticks skipped",
                "frames dropped by the recorder",
            ],
            rows,
        )
    )
    print(f"render time with recording / without: {ratio:.2f}")


if __name__ == "__main__":
    main()
