"""The one parameter registry and the thread-safe store of base values (knob positions).

Parameter ids are stable dotted names (``fx.feedback.amount``); renaming one needs a preset
migration. Modulation never writes here: it computes effective values per frame.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Curve = Literal["linear", "exp", "log"]


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """What a parameter is: its range, default, display curve and unit."""

    id: str
    label: str
    min: float
    max: float
    default: float
    unit: str = ""
    curve: Curve = "linear"
    learnable: bool = True
    section: str = ""

    def __post_init__(self) -> None:
        if not self.min < self.max:
            raise ValueError(f"param {self.id}: min must be below max")
        if not self.min <= self.default <= self.max:
            raise ValueError(f"param {self.id}: default outside [min, max]")

    def clamp(self, value: float) -> float:
        """``value`` limited to the parameter's range."""
        return min(self.max, max(self.min, value))

    @property
    def span(self) -> float:
        return self.max - self.min


class ParamRegistry:
    """Every parameter the engine exposes, by id. Built once at start-up."""

    def __init__(self, specs: Iterable[ParamSpec] = ()) -> None:
        self._specs: dict[str, ParamSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: ParamSpec) -> None:
        if spec.id in self._specs:
            raise ValueError(f"param {spec.id} registered twice")
        self._specs[spec.id] = spec

    def __contains__(self, param_id: object) -> bool:
        return param_id in self._specs

    def __getitem__(self, param_id: str) -> ParamSpec:
        return self._specs[param_id]

    def __iter__(self):
        return iter(self._specs.values())

    def ids(self) -> list[str]:
        return list(self._specs)

    def defaults(self) -> dict[str, float]:
        return {pid: spec.default for pid, spec in self._specs.items()}

    def validate_values(self, values: Mapping[str, float], where: str) -> dict[str, float]:
        """Check ids and ranges; raise ValueError naming ``where.id`` for the first bad entry."""
        checked: dict[str, float] = {}
        for pid, value in values.items():
            if pid not in self._specs:
                raise ValueError(f"{where}.{pid}: unknown parameter")
            spec = self._specs[pid]
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not math.isfinite(value)
            ):
                raise ValueError(f"{where}.{pid}: must be a finite number, got {value!r}")
            if not spec.min <= value <= spec.max:
                raise ValueError(f"{where}.{pid}: {value} is outside [{spec.min}, {spec.max}]")
            checked[pid] = float(value)
        return checked


@dataclass(frozen=True, slots=True)
class ParamSnapshot:
    """A consistent copy of every base value at one store version."""

    version: int
    values: Mapping[str, float]


class ParamStore:
    """Base values of every registered parameter; thread-safe and versioned.

    Writers (UI, MIDI callback, preset loads) call ``set``; the render thread calls
    ``snapshot`` once per frame. Each change is tagged with its source so later layers
    (undo, performance capture) can tell a knob move from a preset load.
    """

    def __init__(self, registry: ParamRegistry, values: Mapping[str, float] | None = None):
        self._registry = registry
        self._lock = threading.Lock()
        self._values = registry.defaults()
        self._version = 0
        self._last_source: dict[str, str] = {}
        self._listeners: list[Callable[[str, float, str], None]] = []
        if values:
            for pid, value in values.items():
                self.set(pid, value, source="preset")

    @property
    def registry(self) -> ParamRegistry:
        return self._registry

    def set(self, param_id: str, value: float, source: str = "ui") -> float:
        """Set a base value (clamped to range); returns the stored value. Any thread."""
        spec = self._registry[param_id]
        stored = spec.clamp(float(value))
        with self._lock:
            self._values[param_id] = stored
            self._last_source[param_id] = source
            self._version += 1
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener(param_id, stored, source)
        return stored

    def add_listener(self, listener: Callable[[str, float, str], None]) -> None:
        """Hear every change as (id, value, source), on the setter's thread (the
        performance log); a listener must not block."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[str, float, str], None]) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def get(self, param_id: str) -> float:
        with self._lock:
            return self._values[param_id]

    def source_of(self, param_id: str) -> str | None:
        with self._lock:
            return self._last_source.get(param_id)

    def snapshot(self) -> ParamSnapshot:
        """All values at one version (the render thread calls this once per frame)."""
        with self._lock:
            return ParamSnapshot(self._version, dict(self._values))
