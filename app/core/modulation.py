"""Modulation: routes from audio features and beat-timed LFOs to any numeric parameter.

Effective value = base + amount * (max - min) * curve(smoothed(source)), clamped to range.
Routes never write into the ParamStore; the smoothing state is explicit (``ModulationState``)
so an offline chunk can rebuild it by pre-rolling a few seconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .curves import ModCurve, shape
from .params import ParamRegistry
from .types import BAND_NAMES, CHROMA_NAMES, AnalysisFrame

LFO_SHAPES = ("sine", "triangle", "saw", "square")
PLAIN_SOURCES = (
    "audio.onset",
    "audio.rms",
    "audio.beat",
    "audio.bar",
    "audio.beat_phase",
    "audio.bar_phase",
)
_SOURCE_RE = re.compile(
    r"^(audio\.(onset|rms|beat|bar|beat_phase|bar_phase)"
    r"|audio\.band\.(low|mid|high)"
    r"|audio\.chroma\.([0-9]|1[01]|C|C#|D|D#|E|F|F#|G|G#|A|A#|B)"
    r"|lfo\.(sine|triangle|saw|square))$"
)


def source_names() -> list[str]:
    """Every source id a route may name (for editors and error messages)."""
    return (
        list(PLAIN_SOURCES)
        + [f"audio.band.{b}" for b in BAND_NAMES]
        + [f"audio.chroma.{c}" for c in CHROMA_NAMES]
        + [f"lfo.{s}" for s in LFO_SHAPES]
    )


class ModRoute(BaseModel):
    """One modulation route. Times are musical where they describe music (beats)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    target: str
    amount: float = Field(0.5, ge=-1.0, le=1.0)
    attack_ms: float = Field(0.0, ge=0.0, le=10_000.0)
    release_ms: float = Field(0.0, ge=0.0, le=10_000.0)
    curve: ModCurve = "linear"
    period_beats: float = Field(4.0, gt=0.0, le=1024.0, description="LFO period")
    phase: float = Field(0.0, ge=0.0, lt=1.0, description="LFO phase offset (cycles)")
    decay_beats: float = Field(
        0.25, gt=0.0, le=64.0, description="time constant of beat/bar pulses"
    )

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if not _SOURCE_RE.match(value):
            raise ValueError(
                f"unknown source {value!r}; one of: audio.onset, audio.rms, "
                "audio.beat, audio.bar, audio.beat_phase, audio.bar_phase, "
                "audio.band.low|mid|high, audio.chroma.C..B or 0..11, "
                "lfo.sine|triangle|saw|square"
            )
        return value


def _lfo(shape_name: str, phase: float) -> float:
    p = phase % 1.0
    if shape_name == "sine":
        return 0.5 - 0.5 * math.cos(2.0 * math.pi * p)
    if shape_name == "triangle":
        return 1.0 - abs(2.0 * p - 1.0)
    if shape_name == "saw":
        return p
    return 1.0 if p < 0.5 else 0.0


def source_value(route: ModRoute, frame: AnalysisFrame) -> float:
    """The raw value in [0, 1] of ``route.source`` at ``frame``."""
    kind, _, rest = route.source.partition(".")
    if kind == "lfo":
        return _lfo(rest, frame.beats / route.period_beats + route.phase)
    if rest == "onset":
        return frame.onset
    if rest == "rms":
        return frame.rms
    if rest == "beat":
        return math.exp(-frame.beat_phase / route.decay_beats)
    if rest == "bar":
        return math.exp(-frame.bar_phase * frame.beats_per_bar / route.decay_beats)
    if rest == "beat_phase":
        return frame.beat_phase
    if rest == "bar_phase":
        return frame.bar_phase
    group, _, key = rest.partition(".")
    if group == "band":
        return frame.bands[BAND_NAMES.index(key)]
    index = int(key) if key.isdigit() else CHROMA_NAMES.index(key)
    return frame.chroma[index]


@dataclass
class ModulationState:
    """Per-route smoothed values and the time of the last evaluation."""

    smoothed: list[float] = field(default_factory=list)
    last_t_s: float | None = None


def _smooth(
    previous: float, target: float, dt_s: float, attack_ms: float, release_ms: float
) -> float:
    tau_ms = attack_ms if target > previous else release_ms
    if tau_ms <= 0.0 or dt_s <= 0.0:
        return target
    return previous + (target - previous) * (1.0 - math.exp(-1000.0 * dt_s / tau_ms))


class Modulator:
    """Applies a patch's routes to base parameter values, frame by frame."""

    def __init__(self, routes: Sequence[ModRoute], registry: ParamRegistry) -> None:
        for i, route in enumerate(routes):
            if route.target not in registry:
                raise ValueError(f"routes[{i}].target: unknown parameter {route.target!r}")
        self.routes = tuple(routes)
        self._registry = registry

    def new_state(self) -> ModulationState:
        return ModulationState(smoothed=[0.0] * len(self.routes))

    def evaluate(
        self, base: Mapping[str, float], frame: AnalysisFrame, state: ModulationState
    ) -> dict[str, float]:
        """Effective values for this frame; advances ``state``'s smoothing to ``frame.t_s``."""
        dt = 0.0 if state.last_t_s is None else frame.t_s - state.last_t_s
        state.last_t_s = frame.t_s
        effective = dict(base)
        for i, route in enumerate(self.routes):
            raw = source_value(route, frame)
            level = _smooth(state.smoothed[i], raw, dt, route.attack_ms, route.release_ms)
            state.smoothed[i] = level
            spec = self._registry[route.target]
            effective[route.target] = effective[route.target] + route.amount * spec.span * float(
                shape(level, route.curve)
            )
        for pid in {r.target for r in self.routes}:
            effective[pid] = self._registry[pid].clamp(effective[pid])
        return effective
