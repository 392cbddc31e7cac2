"""Live latency: onset in -> frame ready, and where beat flashes land with compensation.

    python bench/latency.py [--seconds 30] [--size 640x360] [--fps 30] [--rounds 1]

A feeder thread delivers a 123 BPM click track in 512-sample blocks at 48 kHz in real time,
as a PortAudio callback would, and records when each block arrived. The analyzer thread and
the render worker run the default preset at the given size and fps on the CPU.

- onset -> frame: from the arrival of the block holding a click to the moment the first
  frame rendered from an analysis that includes it is ready; on a fixed frame grid, with
  onset-triggered frames only (an onset wakes the render worker, which draws at once and
  restarts its grid there), and as the live engine runs by default (onset frames,
  beat-aligned ticks and latency compensation). The clicks are on the beat: with
  compensation the beat's own frame is drawn ahead, so the renderer is free when the
  click arrives; an onset off the beat can find it busy.
- flash offset: with latency compensation (the analyzer predicts beats ahead by what the
  render worker measures, as live), the time a frame showing a new beat is ready minus
  the time that beat's audio arrived; on a fixed frame grid (compensation: render time
  plus half a frame, so a beat lands on the nearest tick; spread +-half a frame) and with
  beat-aligned ticks (the tick nearest each predicted beat is moved just after it;
  compensation: render time plus that margin); and, in a fifth pass, with the live
  defaults on the demo track (124 BPM, exact beat times; the click track's beats are
  clean, the demo's are music).

Baseline in the same run: the same renderer drawing frames back to back with nothing else
running ("render alone"); the latencies are also given as multiples of it, which compare
across runs on a noisy machine better than milliseconds do. ``--rounds N`` repeats the
baseline and the passes N times and pools the percentiles (with 57 clicks a round, a
round's p99 is its worst click or two), with a line per round.
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
from _common import machine, table, time_ms

SR = 48_000
BLOCK = 512
BPM = 123.0  # not a multiple of common frame rates: beats sweep across the frame grid


def _preset_renderer(size: tuple[int, int]):
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    return FrameRenderer(patch, registry, size, resolve_placement("cpu"), preset_dir=path.parent)


def render_alone_ms(size: tuple[int, int], fps: float) -> float:
    """Median ms per frame of the preset drawn back to back, no audio or threads running."""
    from app.core.types import AnalysisFrame

    renderer = _preset_renderer(size)
    state = renderer.new_state()
    n = [0]

    def one() -> None:
        t = n[0] / fps
        n[0] += 1
        renderer.render(
            AnalysisFrame(
                t_s=t,
                beats=2 * t,
                bpm=120.0,
                beat_phase=(2 * t) % 1,
                bar_phase=(t / 2) % 1,
                onset=0.0,
                is_beat=False,
                rms=0.5,
                bands=(0.5, 0.5, 0.5),
                chroma=(0.0,) * 12,
                beats_per_bar=4,
            ),
            state,
            fps,
        )

    return time_ms(one, warmup=10, min_runs=100, min_seconds=4.0)


def clicks(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """The click track at 48 kHz and its beat times."""
    from app.audio.demo_track import click_track

    return click_track(BPM, seconds, SR, first_beat_s=0.25)


def demo(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """The first ``seconds`` of the demo track (mono, 48 kHz) and its exact beat times."""
    import librosa

    from app.audio.demo_track import synthesize

    track = synthesize()
    mono = track.samples[:, : int(seconds * track.sr)].mean(axis=0)
    audio = librosa.resample(mono, orig_sr=track.sr, target_sr=SR).astype(np.float32)
    return audio, track.beat_times[track.beat_times < seconds - 0.05]


def run(
    seconds: float,
    size: tuple[int, int],
    fps: float,
    compensate: bool,
    beat_aligned: bool = False,
    onset_frames: bool = False,
    signal=clicks,
):
    """One pass over ``signal(seconds)``; with ``compensate`` the analyzer predicts beats as
    far ahead as the render worker says (its measured render time plus the tick's margin),
    as the live engine does. Returns the beats, block arrival times, frames, worker stats,
    final lookahead."""
    from app.audio.analysis_thread import AnalysisThread
    from app.audio.online import OnlineAnalyzer
    from app.audio.ring import AudioRing
    from app.engine.render_worker import RenderWorker

    audio, beats = signal(seconds)
    n_blocks = len(audio) // BLOCK
    arrived = np.zeros(n_blocks)
    ring = AudioRing(SR * 4, 1)
    analyzer = OnlineAnalyzer(SR)
    analysis = AnalysisThread(ring, analyzer, lambda b: b[:, 0]).start()
    frames: list[tuple[float, float, float, float]] = []  # ready, stream t, age s, beats

    def on_frame(f):
        frames.append((time.monotonic(), f.t_s, f.timings.get("analysis_age_ms", 0) / 1e3, f.beats))

    worker = RenderWorker(
        _preset_renderer,
        size,
        analysis.latest,
        fps,
        on_frame=on_frame,
        auto_resolution=False,  # measured at the size asked for
        beat_aligned=beat_aligned,
        onset_frames=onset_frames,
    )
    if compensate:
        worker.on_compensation = analyzer.set_lookahead
    worker.start()
    analysis.on_onset = worker.wake
    stop = threading.Event()

    def feeder():
        t0 = time.monotonic()
        for k in range(n_blocks):
            due = t0 + (k + 1) * BLOCK / SR  # a callback gets a block once it is complete
            while (wait := due - time.monotonic()) > 0:
                stop.wait(wait)
            ring.write(audio[k * BLOCK : (k + 1) * BLOCK, None])
            arrived[k] = time.monotonic()

    feed = threading.Thread(target=feeder)
    feed.start()
    feed.join()
    worker.stop()
    analysis.stop()
    return beats, arrived, np.array(frames), worker.stats(), analyzer.lookahead_s


def onset_latency(beats, arrived, frames) -> np.ndarray:
    """From the arrival of each click's block to the first frame made from an analysis that
    includes it, in ms."""
    frames = frames[frames[:, 2] > 0]  # frames rendered before any audio had no analysis
    ready, t_stream, age = frames[:, 0], frames[:, 1], frames[:, 2]
    source_t = t_stream - age  # stream time of the newest hop each frame was made from
    latencies = []
    for b in beats[beats > 2.0]:
        k = int(b * SR) // BLOCK
        if k >= len(arrived):
            continue
        hop_end = (k + 1) * BLOCK / SR
        idx = np.nonzero(source_t >= hop_end - 1e-9)[0]
        if len(idx):
            latencies.append(ready[idx[0]] - arrived[k])
    return 1e3 * np.array(latencies)


def flash_offsets(beats, arrived, frames, seconds: float) -> np.ndarray:
    """A frame showing a new beat: when it was ready minus when that beat's audio arrived
    (locked beats only), in ms."""
    t0 = arrived[0] - BLOCK / SR  # wall time of stream time 0
    frames = frames[frames[:, 2] > 0]
    beat_frames = frames[1:][np.floor(frames[1:, 3]) > np.floor(frames[:-1, 3])]
    audio_t = t0 + beats  # when each beat's audio arrived (stream time on the wall)
    offsets = []
    for ready_s, *_rest in beat_frames:
        j = int(np.argmin(np.abs(audio_t - ready_s)))
        if 8.0 < beats[j] < seconds - 1.0:  # locked, and not where the feed stops
            offsets.append(ready_s - audio_t[j])
    return 1e3 * np.array(offsets)


def one_round(seconds: float, size: tuple[int, int], fps: float) -> dict:
    """The baseline and the four passes; what each measured."""
    out = {"alone_ms": render_alone_ms(size, fps)}
    # passes 1 and 2: no compensation; onset -> frame on a fixed grid and onset-triggered
    *grid, stats, _ = run(seconds, size, fps, False)
    *onset, stats1, _ = run(seconds, size, fps, False, onset_frames=True)
    out["lat_grid"], out["lat_onset"] = onset_latency(*grid), onset_latency(*onset)
    out["render_ms"], out["fps"] = stats.render_ms, stats.fps
    # passes 3 and 4: beats are predicted by what the render worker measures (render time,
    # plus half a frame on a fixed grid so a beat lands on the nearest tick; plus the
    # aligned tick's margin with beat-aligned ticks), as live. A real rig adds its display
    # latency (--latency-ms).
    *fixed, stats2, out["look_grid"] = run(seconds, size, fps, True)
    *live, stats3, out["look_live"] = run(
        seconds, size, fps, True, beat_aligned=True, onset_frames=True
    )
    out["off_grid"] = flash_offsets(*fixed, seconds)
    out["off_live"] = flash_offsets(*live, seconds)
    out["lat_live"] = onset_latency(*live)
    # pass 5: the live default on the demo track (music: kicks, snares, off-beat hats and
    # bass), whose beat times are exact
    *song, stats4, out["look_demo"] = run(
        seconds, size, fps, True, beat_aligned=True, onset_frames=True, signal=demo
    )
    out["off_demo"] = flash_offsets(*song, seconds)
    out["skipped"] = (stats.skipped, stats1.skipped, stats2.skipped, stats3.skipped, stats4.skipped)
    return out


def main() -> None:
    from app.cli_parser import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", type=parse_size, default=(640, 360))
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the baseline and the passes; percentiles pool all rounds",
    )
    args = parser.parse_args()

    rounds = [one_round(args.seconds, args.size, args.fps) for _ in range(args.rounds)]

    def pooled(key: str) -> np.ndarray:
        return np.concatenate([r[key] for r in rounds])

    alone_ms = float(np.mean([r["alone_ms"] for r in rounds]))
    print(
        f"\nLive latency, {args.size[0]}x{args.size[1]} @ {args.fps:g} fps, preset "
        f"nebula-drift, CPU, {args.rounds} x {args.seconds:g} s of 123 BPM clicks - "
        f"{machine()}\n"
    )
    print(
        table(
            ["measure", "n", "median ms", "p95 ms", "p99 ms", "median / render alone"],
            [
                *[
                    [
                        f"onset in -> frame ready, {label}",
                        str(len(lat)),
                        f"{np.median(lat):.1f}",
                        f"{np.percentile(lat, 95):.1f}",
                        f"{np.percentile(lat, 99):.1f}",
                        f"{np.median(lat) / alone_ms:.2f}",
                    ]
                    for label, lat in (
                        ("fixed frame grid", pooled("lat_grid")),
                        ("onset-triggered frames", pooled("lat_onset")),
                        ("live default (aligned + onset frames, compensated)", pooled("lat_live")),
                    )
                ],
                *[
                    [
                        f"beat flash ready - beat, {label} (lookahead {1e3 * look:.0f} ms)",
                        str(len(off)),
                        f"{np.median(off):+.1f}",
                        f"{np.percentile(np.abs(off), 95):.1f} (abs)",
                        f"{np.percentile(np.abs(off), 99):.1f} (abs)",
                        "",
                    ]
                    for label, look, off in (
                        (
                            "fixed frame grid",
                            np.mean([r["look_grid"] for r in rounds]),
                            pooled("off_grid"),
                        ),
                        (
                            "beat-aligned + onset frames (live default)",
                            np.mean([r["look_live"] for r in rounds]),
                            pooled("off_live"),
                        ),
                        (
                            "demo track, live default",
                            np.mean([r["look_demo"] for r in rounds]),
                            pooled("off_demo"),
                        ),
                    )
                ],
            ],
        )
    )
    print()
    for k, r in enumerate(rounds, 1):
        live = r["lat_live"]
        print(
            f"round {k}: render alone (back to back) {r['alone_ms']:.1f} ms/frame, in the "
            f"live passes {r['render_ms']:.1f} ({r['render_ms'] / r['alone_ms']:.2f}x), "
            f"{r['fps']:.1f} fps; live default onset -> frame median {np.median(live):.1f} "
            f"/ p99 {np.percentile(live, 99):.1f} ms, flash p95 "
            f"{np.percentile(np.abs(r['off_live']), 95):.1f} ms (demo track "
            f"{np.percentile(np.abs(r['off_demo']), 95):.1f} ms); ticks skipped "
            f"{', '.join(map(str, r['skipped']))} (passes 1-5)"
        )


if __name__ == "__main__":
    main()
