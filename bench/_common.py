"""Shared helpers for benchmarks: timing, a same-run CPU reference, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LATENTVJ_CACHE_DIR", str(Path.home() / ".cache" / "latentvj-bench"))


def time_ms(
    fn: Callable[[], object], warmup: int = 3, min_runs: int = 10, min_seconds: float = 1.5
) -> float:
    """Median wall time of ``fn`` in milliseconds (after warm-up)."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        samples.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(samples)


def cpu_reference_ms() -> float:
    """A fixed workload (1024x1024 float32 matmul) timed in the same run: results divided by
    it compare across noisy or different machines."""
    import torch

    a = torch.randn(1024, 1024, generator=torch.Generator().manual_seed(0))
    return time_ms(lambda: a @ a)


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    gpu = f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch threads{gpu}"
    )


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (what BENCHMARKS.md records)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def steady_analysis(step_beats: float = 0.0625, bpm: float = 120.0):
    """A callable handing successive analysis frames of a steady groove (the audio
    features at rest), ``step_beats`` apart: what a renderer benchmark feeds."""
    from app.core.types import AnalysisFrame

    beats = [0.0]

    def next_frame() -> AnalysisFrame:
        beats[0] += step_beats
        b = beats[0]
        return AnalysisFrame(t_s=b * 60.0 / bpm, beats=b, bpm=bpm, beat_phase=b % 1,
                             bar_phase=(b / 4) % 1, onset=0.0, is_beat=False, rms=0.1,
                             bands=(0.1, 0.1, 0.1), chroma=(0.0,) * 12)  # fmt: skip

    return next_frame
