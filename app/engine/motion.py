"""Latent motion: where in latent space the instrument is, as a function of beat position.

Every seed-001 mode, timed in beats and bars:

- base path ``keyframes``: slerp or lerp through keyframes, as a chain (A-B-C-D...) or as cuts
  (A-B | C-D | ...), each transition eased (exponential in / out / in-out), with optional
  holds; ``transition_beats`` 0 makes beat/bar-timed jumps. Triggered "next keyframe" jumps
  land quantised to the next beat or bar.
- base path ``walk``: a random walk with velocity and acceleration, wrap / clamp / reflect at
  the boundary.
- base path ``hold``: the first keyframe (a point to oscillate or flicker around).
- layers added to the base: per-dimension sine oscillation with random phases eased in, and
  flicker (random jumps, each dimension within ``max_step``) around the point or path.

``z_at(beats)`` is a pure function of (spec, seed, beat position, events): the walk memoises
its per-step path, which is derived from the seed alone, so chunks render identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.core.curves import ease
from app.core.keyframes import KeyframeSizeError, load_keyframes
from app.core.patch import ClassSpec, MotionSpec
from app.core.seeds import derive_seed, rng_for
from app.core.types import AnalysisFrame


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation (Tom White's, as seed 001), lerp when a and b are parallel."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-12 or nb < 1e-12:
        return (1.0 - t) * a + t * b
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    so = np.sin(omega)
    if so < 1e-6:
        return (1.0 - t) * a + t * b
    return np.sin((1.0 - t) * omega) / so * a + np.sin(t * omega) / so * b


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return (1.0 - t) * a + t * b


def quantize_up(beats: float, unit: str, beats_per_bar: int) -> float:
    """The next beat (or bar line) at or after ``beats``: where a triggered jump lands."""
    step = float(beats_per_bar) if unit == "bar" else 1.0
    return float(np.ceil(beats / step - 1e-9) * step)


def fold(x: np.ndarray, bound: float, mode: str) -> np.ndarray:
    """Bring an unbounded walk into [-bound, bound]: wrap around or reflect off the edges."""
    if mode == "wrap":
        return (x + bound) % (2.0 * bound) - bound
    if mode == "reflect":
        period = 4.0 * bound
        y = (x + bound) % period
        return np.where(y <= 2.0 * bound, y, period - y) - bound
    return np.clip(x, -bound, bound)


class _WalkPath:
    """The walk's per-step positions, extended on demand; a pure function of the seed.

    Velocity changes by a random acceleration each step and is limited to ``max_speed``
    (seed 001's velocity/acceleration walks). Wrap and reflect fold the unbounded path, so
    interpolating between steps stays smooth; clamp is path-dependent and stored clamped.
    """

    BLOCK = 1024

    def __init__(self, start: np.ndarray, spec, seed: int) -> None:
        self.spec = spec
        self.dt = 1.0 / spec.steps_per_beat
        self._rng = rng_for(seed, "motion.walk")
        if spec.boundary_mode == "clamp":  # a keyframe may start outside the boundary
            start = np.clip(start, -spec.boundary, spec.boundary)
        self._positions = start[None, :].copy()
        self._velocity = np.zeros_like(start)

    def _extend(self, steps: int) -> None:
        spec, dims = self.spec, self._positions.shape[1]
        while len(self._positions) <= steps:
            accel = self._rng.uniform(-1.0, 1.0, size=(self.BLOCK, dims)) * spec.max_accel
            out = np.empty((self.BLOCK, dims))
            pos, vel = self._positions[-1], self._velocity
            for i in range(self.BLOCK):
                vel = np.clip(vel + accel[i], -spec.max_speed, spec.max_speed)
                pos = pos + vel * self.dt
                if spec.boundary_mode == "clamp":
                    pos = np.clip(pos, -spec.boundary, spec.boundary)
                out[i] = pos
            self._velocity = vel
            self._positions = np.concatenate([self._positions, out])

    def at(self, beats: float) -> np.ndarray:
        s = max(0.0, beats) / self.dt
        k = int(np.floor(s))
        self._extend(k + 1)
        frac = s - k
        raw = (1.0 - frac) * self._positions[k] + frac * self._positions[k + 1]
        if self.spec.boundary_mode == "clamp":
            return raw
        return fold(raw, self.spec.boundary, self.spec.boundary_mode)


class LatentMotion:
    """Evaluates a MotionSpec for a generator with ``latent_dim`` (and ``class_dim``)."""

    def __init__(
        self,
        spec: MotionSpec,
        latent_dim: int,
        seed: int,
        class_dim: int = 0,
        keyframes: np.ndarray | None = None,
        beats_per_bar: int = 4,
    ) -> None:
        self.spec = spec
        self.latent_dim = latent_dim
        self.class_dim = class_dim
        self.seed = seed
        self.beats_per_bar = beats_per_bar
        if keyframes is None:
            if spec.vectors is not None:
                keyframes = np.asarray(spec.vectors, dtype=np.float64)
                if keyframes.shape[1] != latent_dim:
                    raise KeyframeSizeError(
                        f"motion.vectors: keyframes of {keyframes.shape[1]} dimensions, the "
                        f"generator needs {latent_dim}"
                    )
            elif spec.keyframes_file:
                keyframes = load_keyframes(spec.keyframes_file, latent_dim)
            else:
                keyframes = rng_for(seed, "motion.keyframes").standard_normal(
                    (spec.keyframes, latent_dim)
                )
        self.keyframes = np.asarray(keyframes, dtype=np.float64)
        if self.keyframes.ndim != 2 or self.keyframes.shape[1] != latent_dim:
            raise ValueError(f"keyframes must be [n, {latent_dim}]")
        self._phases = rng_for(seed, "motion.oscillate").uniform(0.0, 2.0 * np.pi, latent_dim)
        push = rng_for(seed, "motion.push").standard_normal(latent_dim)
        self.push_direction = push / np.linalg.norm(push)
        self._walk = _WalkPath(self.keyframes[0], spec.walk, seed) if spec.path == "walk" else None

    # -- base path ------------------------------------------------------------------------
    def _segment_pair(self, segment: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.keyframes)
        if self.spec.sequence == "cuts":  # A-B | C-D | ...: pairs, wrapping around
            pairs = max(1, n // 2) if n > 1 else 1
            i = (segment % pairs) * 2
            return self.keyframes[i % n], self.keyframes[(i + 1) % n]
        return self.keyframes[segment % n], self.keyframes[(segment + 1) % n]

    def keyframe_path(self, beats: float, jumps: int = 0) -> np.ndarray:
        """Position on the keyframe path; ``jumps`` triggered jumps skip whole segments."""
        spec = self.spec
        length = spec.hold_beats + spec.transition_beats
        b = max(0.0, beats)
        segment = int(b // length) + jumps
        local = b - (b // length) * length
        a, c = self._segment_pair(segment)
        if local < spec.hold_beats or spec.transition_beats == 0:
            return a.copy()
        progress = (local - spec.hold_beats) / spec.transition_beats
        t = float(ease(progress, spec.easing, spec.power))
        return slerp(a, c, t) if spec.interpolation == "slerp" else lerp(a, c, t)

    def keyframe_ends(
        self, beats: float, jumps: int = 0
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The keyframes the path is between at ``beats`` and the eased progress from the
        first to the second (0 while holding); None off the keyframe path (walk, hold)."""
        spec = self.spec
        if spec.path != "keyframes":
            return None
        length = spec.hold_beats + spec.transition_beats
        b = max(0.0, beats)
        local = b - (b // length) * length
        a, c = self._segment_pair(int(b // length) + jumps)
        if local < spec.hold_beats or spec.transition_beats == 0:
            return a, c, 0.0
        return (
            a,
            c,
            float(ease((local - spec.hold_beats) / spec.transition_beats, spec.easing, spec.power)),
        )

    def w_point(
        self, beats: float, z: np.ndarray, jumps: Sequence[tuple[float, int]] = ()
    ) -> np.ndarray | None:
        """For motion in W: rows [z, first keyframe, second keyframe], the keyframes moved
        by the same layers (oscillation, flicker, push) as ``z``; the generator lerps the
        keyframes' ws by ``keyframe_ends``' progress. None when not on the keyframe path."""
        jumped = self.jumps_before(beats, jumps)
        ends = self.keyframe_ends(beats, jumped)
        if ends is None:
            return None
        layers = z - self.base(beats, jumped)
        return np.stack([z, ends[0] + layers, ends[1] + layers])

    def base(self, beats: float, jumps: int = 0) -> np.ndarray:
        if self.spec.path == "walk":
            return self._walk.at(beats)
        if self.spec.path == "hold":
            return self.keyframes[jumps % len(self.keyframes)].copy()
        return self.keyframe_path(beats, jumps)

    # -- layers ---------------------------------------------------------------------------
    def oscillation(self, beats: float) -> np.ndarray:
        """Sine per dimension, amplitude ``amplitude``; the random phases are eased in from
        zero over ``ease_in_beats`` so the motion starts exactly at the base point."""
        osc = self.spec.oscillate
        if osc.amplitude == 0.0:
            return np.zeros(self.latent_dim)
        b = max(0.0, beats)
        spread = float(ease(b / osc.ease_in_beats, "in_out", 2.0)) if osc.ease_in_beats > 0 else 1.0
        angle = 2.0 * np.pi * b / osc.period_beats + spread * self._phases
        return osc.amplitude * np.sin(angle)

    def flicker(self, beats: float) -> np.ndarray:
        """A fresh random offset (each dimension in [-max_step, max_step]) every
        1 / rate_per_beat beats, drawn from a counter-based stream: pure in the beat."""
        fl = self.spec.flicker
        if fl.max_step == 0.0:
            return np.zeros(self.latent_dim)
        step = int(np.floor(max(0.0, beats) * fl.rate_per_beat))
        rng = np.random.Generator(np.random.PCG64(derive_seed(self.seed, f"flicker:{step}")))
        return rng.uniform(-fl.max_step, fl.max_step, self.latent_dim)

    def jumps_before(self, beats: float, jumps: Sequence[tuple[float, int]]) -> int:
        """Keyframes skipped by the triggered jumps that have landed: each is (the quantised
        beat it lands on, keyframes to move: +1 next, -1 previous, any for a random one)."""
        return int(sum(step for at, step in jumps if at <= beats))

    def z_at(
        self,
        beats: float,
        jumps: Sequence[tuple[float, int]] = (),
        oscillate_amount: float = 1.0,
        flicker_amount: float = 1.0,
        push: float = 0.0,
    ) -> np.ndarray:
        """The latent vector at ``beats`` (the modulatable amounts scale the layers)."""
        z = self.base(beats, self.jumps_before(beats, jumps))
        if oscillate_amount:
            z = z + oscillate_amount * self.oscillation(beats)
        if flicker_amount:
            z = z + flicker_amount * self.flicker(beats)
        if push:
            z = z + push * np.sqrt(self.latent_dim) * self.push_direction
        return z

    # -- class vectors --------------------------------------------------------------------
    def y_at(self, beats: float, frame: AnalysisFrame | None) -> np.ndarray | None:
        """Class vector (sums to 1) for conditional generators; None when unconditional."""
        if self.class_dim == 0:
            return None
        return class_vector(self.spec.classes, self.class_dim, beats, frame, self.seed)


def class_vector(
    spec: ClassSpec, class_dim: int, beats: float, frame: AnalysisFrame | None, seed: int = 0
) -> np.ndarray:
    """The class mix at ``beats``; with ``quantize``, only its strongest class."""
    y = _class_mix(spec, class_dim, beats, frame, seed)
    if spec.quantize:
        one_hot = np.zeros(class_dim)
        one_hot[int(np.argmax(y))] = 1.0
        return one_hot
    return y


def _random_mix(class_dim: int, seed: int, index: int) -> np.ndarray:
    """A random dense mix of every class, the same for a seed and index (pure in the beat)."""
    logits = rng_for(seed, f"classes.random:{index}").standard_normal(class_dim) * 3.0
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def _class_mix(
    spec: ClassSpec, class_dim: int, beats: float, frame: AnalysisFrame | None, seed: int
) -> np.ndarray:
    """Class mix (fixed weights), a crossfading cycle through classes or random mixes, or
    chroma -> class."""
    if spec.mode == "random":
        pos = max(0.0, beats) / spec.cycle_beats
        i = int(np.floor(pos))
        t = float(ease(pos - i, "in_out", 4.0))
        return (1.0 - t) * _random_mix(class_dim, seed, i) + t * _random_mix(class_dim, seed, i + 1)
    classes = [c % class_dim for c in spec.classes] or [0]
    y = np.zeros(class_dim)
    if spec.mode == "cycle" and len(classes) > 1:
        pos = max(0.0, beats) / spec.cycle_beats
        i = int(np.floor(pos))
        t = float(ease(pos - i, "in_out", 4.0))
        y[classes[i % len(classes)]] += 1.0 - t
        y[classes[(i + 1) % len(classes)]] += t
        return y
    if spec.mode == "chroma" and frame is not None and len(classes) == 12:
        logits = np.asarray(frame.chroma) / spec.temperature
        weights = np.exp(logits - logits.max())
        for c, w in zip(classes, weights / weights.sum()):
            y[c] += w
        return y
    weights = spec.weights or [1.0] * len(classes)
    for c, w in zip(classes, weights):
        y[c] += w
    total = y.sum()
    return y / total if total > 0 else y
