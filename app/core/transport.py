"""The musical clock: wall time <-> beat position, from a beat grid.

Latent motion, LFOs and keyframe lengths are timed in beats, so everything downstream asks
this grid "where in the music are we" rather than counting frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BeatGrid:
    """Beat times (seconds, ascending) and which beat is the first downbeat.

    ``beats_at(t)`` is piecewise linear between beats, so the position is exact at every beat
    and follows tempo changes; outside the annotated span it extends at the edge tempo.
    """

    beat_times: np.ndarray
    beats_per_bar: int = 4
    downbeat_index: int = 0

    def __post_init__(self) -> None:
        times = np.asarray(self.beat_times, dtype=np.float64)
        if times.ndim != 1 or len(times) < 2 or np.any(np.diff(times) <= 0):
            raise ValueError("a beat grid needs at least two strictly increasing beat times")
        object.__setattr__(self, "beat_times", times)

    @staticmethod
    def steady(
        bpm: float, duration_s: float, offset_s: float = 0.0, beats_per_bar: int = 4
    ) -> "BeatGrid":
        """A grid at a constant tempo covering ``duration_s`` seconds."""
        period = 60.0 / bpm
        n = max(2, int(np.ceil((duration_s - offset_s) / period)) + 1)
        return BeatGrid(offset_s + period * np.arange(n), beats_per_bar)

    def beats_at(self, t_s: float | np.ndarray) -> np.ndarray:
        """Musical position in beats (0 at the first beat) at time(s) ``t_s``."""
        times = self.beat_times
        idx = np.arange(len(times), dtype=np.float64)
        t = np.asarray(t_s, dtype=np.float64)
        beats = np.interp(t, times, idx)
        first_period = times[1] - times[0]
        last_period = times[-1] - times[-2]
        beats = np.where(t < times[0], (t - times[0]) / first_period, beats)
        return np.where(t > times[-1], idx[-1] + (t - times[-1]) / last_period, beats)

    def bpm_at(self, t_s: float | np.ndarray, window_beats: int = 8) -> np.ndarray:
        """Local tempo around ``t_s``, averaged over ``window_beats`` beat intervals.

        Averaging matters: trackers snap beats to their hop grid (23 ms for librosa), so a
        single interval can be off by several BPM while eight average it out.
        """
        times = self.beat_times
        n = len(times) - 1
        w = min(window_beats, n)
        k = np.clip(np.searchsorted(times, t_s, side="right") - 1 - w // 2, 0, n - w)
        return 60.0 * w / (times[k + w] - times[k])

    def bar_phase_at(self, t_s: float | np.ndarray) -> np.ndarray:
        """Fraction of the bar elapsed, bars starting at ``downbeat_index``."""
        beats = self.beats_at(t_s) - self.downbeat_index
        return np.mod(beats / self.beats_per_bar, 1.0)

    def median_bpm(self) -> float:
        """The grid's overall tempo (median of its beat intervals)."""
        return float(np.median(self.bpm_at(self.beat_times)))
