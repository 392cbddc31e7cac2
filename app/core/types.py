"""Small frozen types that cross module and thread boundaries (DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_BANDS = 3  # low, mid, high
N_CHROMA = 12
BAND_NAMES = ("low", "mid", "high")
CHROMA_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True, slots=True)
class AnalysisFrame:
    """Audio features at one instant, the same type live (online analyzer) and offline.

    Feature values are normalised to [0, 1] so modulation routes behave alike on any song.
    ``beats`` is the musical position (beats since the first beat, fractional); phases are in
    [0, 1): ``beat_phase`` is the fraction of the current beat elapsed, ``bar_phase`` of the bar.
    """

    t_s: float
    beats: float
    bpm: float
    beat_phase: float
    bar_phase: float
    onset: float
    is_beat: bool
    rms: float
    bands: tuple[float, float, float]
    chroma: tuple[float, ...]
    beats_per_bar: int = 4
    is_onset: bool = False  # live only: an onset was detected in this hop (the render worker
    # draws a frame at once instead of waiting for its next tick)
    lookahead_s: float = 0.0  # live only: beats, phases and is_beat are predicted this far
    # after t_s (latency compensation); the other features are at t_s

    @property
    def shown_s(self) -> float:
        """The instant whose beats this frame carries: when a frame drawn from it is seen."""
        return self.t_s + self.lookahead_s


@dataclass(frozen=True, slots=True)
class TimedFrame:
    """A live analysis frame and the monotonic wall time the audio that completed its hop
    arrived, so readers can tell its age and move it forward to their own time."""

    frame: AnalysisFrame
    wall_s: float


@dataclass(frozen=True, slots=True)
class RenderedFrame:
    """One output frame: an HxWx3 uint8 image (read-only), the musical position it shows
    (``t_s`` on the audio clock, ``beats``, ``bpm``, ``bar_phase``),
    its timings in milliseconds, the parameter values it was drawn with (modulation
    applied: what the window's ghost bars show), and the latent vector before truncation
    (what the motion editor captures as a keyframe; None for black or error frames)."""

    seq: int
    t_s: float
    image: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    beats: float = 0.0
    params: dict[str, float] = field(default_factory=dict)
    bpm: float = 0.0
    bar_phase: float = 0.0
    latent: np.ndarray | None = None
    lookahead_s: float = 0.0  # its beats are those of t_s + lookahead_s: when it reaches the
    # screen (live latency compensation; the recorder places it there)

    @property
    def shown_s(self) -> float:
        """When it is seen: the instant whose beats it shows (a recording places it there)."""
        return self.t_s + self.lookahead_s

    def __post_init__(self) -> None:
        self.image.setflags(write=False)
