"""Response curves for modulation and easing curves for latent motion. Pure numpy."""

from __future__ import annotations

from typing import Literal

import numpy as np

ModCurve = Literal["linear", "square", "cube", "sqrt", "smooth"]
Easing = Literal["linear", "in", "out", "in_out"]


def shape(x: float | np.ndarray, curve: ModCurve) -> float | np.ndarray:
    """Map a source value in [0, 1] through a response curve (keeps 0 -> 0 and 1 -> 1)."""
    if curve == "linear":
        return x
    if curve == "square":
        return x * x
    if curve == "cube":
        return x * x * x
    if curve == "sqrt":
        return np.sqrt(np.maximum(x, 0.0))
    if curve == "smooth":
        return x * x * (3.0 - 2.0 * x)
    raise ValueError(f"unknown curve {curve!r}")


def _exp_in(t: np.ndarray, power: float) -> np.ndarray:
    """Exponential ease-in: slow start, fast end; ``power`` 0 is linear."""
    if power <= 1e-6:
        return t
    return np.expm1(power * t) / np.expm1(power)


def ease(t: float | np.ndarray, easing: Easing, power: float = 4.0) -> np.ndarray:
    """Exponential easing of a progress ``t`` in [0, 1]; monotone, ease(0)=0, ease(1)=1.

    ``in`` starts slow, ``out`` ends slow, ``in_out`` is slow - fast - slow (seed 001's modes
    9 and 12). Higher ``power`` makes the fast part faster.
    """
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if easing == "linear":
        return t
    if easing == "in":
        return _exp_in(t, power)
    if easing == "out":
        return 1.0 - _exp_in(1.0 - t, power)
    if easing == "in_out":
        return np.where(
            t < 0.5, 0.5 * _exp_in(2.0 * t, power), 1.0 - 0.5 * _exp_in(2.0 - 2.0 * t, power)
        )
    raise ValueError(f"unknown easing {easing!r}")
