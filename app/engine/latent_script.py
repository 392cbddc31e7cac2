"""Seed 001's scripted latent animations: a JSON file (``trained_model``, ``base_dir``,
``rand_seed``, ``data``) whose ``data`` entries are cuts, each a ``mode_num`` with its
fields, rendered one after another. Keyframes are named by the JSON files that
``generate --random`` writes (or by a seed number).

Modes (as seed 001 documents them; 7 and 10 are not in its JSON documentation, so they
carry its command-line modes of the same family):

1. slerp pairs, as cuts: ``mode_data`` [[A, B, frames], ...] (A-B | C-D)
2. slerp chain: same fields, joint frames not repeated (A-B-C)
3. sine oscillation from ``start_image``: ``total_frame_num``, ``amplitude``, ``speed``
   (cycles per frame); random phases eased in from zero
4. random walk, wrap at ``boundary`` (default 2.5): ``start_image``, ``total_frame_num``,
   ``max_speed``
5. random walk, clamped at ``clamp_boundary``
6. lerp chain (fields of mode 1)
7. velocity / acceleration walk: ``start_image``, ``total_frame_num``, ``max_speed``,
   ``max_accel``, ``boundary``, ``boundary_mode`` (wrap, clamp, reflect)
8. flicker around ``start_image``: ``total_frame_num``, ``max_step``
9. exponential ease in or out: ``interp_data`` [[A, B, frames]...], ``is_ease_in``, ``power``
10. exponential ease in-out as a chain: ``interp_data``, ``power``
11. flicker around the lerp path: ``interp_data``, ``max_step``
12. exponential ease in-out: ``interp_data``, ``power``
13. exponential ease in-out with flicker: ``interp_data``, ``power``, ``max_step``

``rand_seed`` seeds every random choice of a script (per video, not per cut), so a script
renders the same frames every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.curves import ease
from app.core.errors import UserError
from app.core.keyframes import load_keyframes, read_json_list_doc, seed_vector
from app.engine.motion import fold, lerp, slerp

MODES = tuple(range(1, 14))


@dataclass
class Script:
    path: Path
    trained_model: Path | None
    base_dir: Path
    rand_seed: int
    data: list[dict]


def load_script(path: Path) -> Script:
    """Read and check the top level; cuts are checked as they are rendered."""
    where = f"script '{path}'"
    doc = read_json_list_doc(path, where, "data")
    seed = doc.get("rand_seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UserError(f"{where}: rand_seed must be a non-negative integer")
    model = doc.get("trained_model")
    return Script(
        path=path,
        trained_model=path.parent / model if model else None,
        base_dir=path.parent / str(doc.get("base_dir", "generated")),
        rand_seed=seed,
        data=doc["data"],
    )


class _Cut:
    """One ``data`` entry with typed access that names the entry and field on errors."""

    def __init__(self, index: int, entry: object) -> None:
        self.where = f"data[{index}]"
        if not isinstance(entry, dict):
            raise UserError(f"{self.where}: must be an object with mode_num")
        self.entry = entry
        self.mode = self.number("mode_num", int)
        self.where += f" (mode {self.mode})"
        if self.mode not in MODES:
            raise UserError(f"{self.where}: mode_num must be 1 to 13")

    def number(self, key: str, kind: type = float, default=None, low: float = 0.0):
        value = self.entry.get(key, default)
        if value is None:
            raise UserError(f"{self.where}: missing '{key}'")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (kind is int and not float(value).is_integer())
            or not math.isfinite(value)
            or value < low
        ):
            noun = "an integer" if kind is int else "a number"
            raise UserError(f"{self.where}: '{key}' must be {noun} of at least {low:g}")
        return kind(value)

    def flag(self, key: str) -> bool:
        value = self.entry.get(key)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
        raise UserError(f"{self.where}: '{key}' must be true or false")

    def pairs(self, key: str) -> list[tuple[object, object, int]]:
        rows = self.entry.get(key)
        if not isinstance(rows, list) or not rows:
            raise UserError(f"{self.where}: '{key}' must be a list of [A, B, frames]")
        out = []
        for i, row in enumerate(rows):
            if (
                not isinstance(row, list)
                or len(row) != 3
                or isinstance(row[2], bool)
                or not isinstance(row[2], int)
                or row[2] < 1
            ):
                raise UserError(f"{self.where}: {key}[{i}] must be [A, B, frames >= 1]")
            out.append((row[0], row[1], row[2]))
        return out


def _steps(frames: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)


def cut_vectors(
    cut: _Cut, vector: Callable[[object], np.ndarray], rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """The latent vectors of one cut, in order."""
    m = cut.mode
    if m in (1, 2, 6, 9, 10, 11, 12, 13):
        pairs = cut.pairs("mode_data" if m in (1, 2, 6) else "interp_data")
        chain = m in (2, 6, 10)
        power = cut.number("power", default=3.0) if m in (9, 10, 12, 13) else 0.0
        easing = ("in" if cut.flag("is_ease_in") else "out") if m == 9 else "in_out"
        step = cut.number("max_step") if m in (11, 13) else 0.0
        interpolate = lerp if m in (6, 11) else slerp
        for k, (a, b, frames) in enumerate(pairs):
            za, zb = vector(a), vector(b)
            ts = _steps(frames)
            if chain and k > 0:
                ts = ts[1:]  # the joint frame ended the previous segment
            for t in ts:
                t = float(ease(t, easing, power)) if power else float(t)
                z = interpolate(za, zb, t)
                yield z + rng.uniform(-step, step, z.shape) if step else z
        return
    z0 = vector(cut.entry.get("start_image"))
    total = cut.number("total_frame_num", int, low=1)
    if m == 3:
        amplitude, speed = cut.number("amplitude"), cut.number("speed")
        phases = rng.uniform(0.0, 2.0 * np.pi, z0.shape)
        for t in range(total):
            spread = float(ease(t / max(1, total - 1), "in_out", 2.0))
            yield z0 + amplitude * np.sin(2.0 * np.pi * speed * t + spread * phases)
    elif m in (4, 5):
        max_speed = cut.number("max_speed")
        bound = cut.number("clamp_boundary" if m == 5 else "boundary", default=2.5, low=1e-9)
        z = z0.copy()
        for _ in range(total):
            yield z.copy()
            z = fold(
                z + rng.uniform(-max_speed, max_speed, z.shape),
                bound,
                "clamp" if m == 5 else "wrap",
            )
    elif m == 7:
        max_speed = cut.number("max_speed")
        max_accel = cut.number("max_accel", default=max_speed / 4)
        bound = cut.number("boundary", default=2.5, low=1e-9)
        mode = cut.entry.get("boundary_mode", "reflect")
        if mode not in ("wrap", "clamp", "reflect"):
            raise UserError(f"{cut.where}: boundary_mode must be wrap, clamp or reflect")
        z, velocity = z0.copy(), np.zeros_like(z0)
        for _ in range(total):
            yield fold(z, bound, mode)
            velocity = np.clip(
                velocity + rng.uniform(-max_accel, max_accel, z.shape), -max_speed, max_speed
            )
            z = np.clip(z + velocity, -bound, bound) if mode == "clamp" else z + velocity
    else:  # 8: flicker around the start
        step = cut.number("max_step")
        for _ in range(total):
            yield z0 + rng.uniform(-step, step, z0.shape)


def script_vectors(script: Script, latent_dim: int) -> Iterator[np.ndarray]:
    """Every frame's latent vector, cut after cut."""
    rng = np.random.default_rng(script.rand_seed)
    cache: dict[str, np.ndarray] = {}

    def vector(name: object) -> np.ndarray:
        if isinstance(name, int) and not isinstance(name, bool):
            return seed_vector(name, latent_dim)
        if not isinstance(name, str) or not name:
            raise UserError(
                f"script '{script.path}': keyframe {name!r} must be a file name or a seed number"
            )
        if name not in cache:
            candidates = [
                folder / f"{name}{ext}"
                for folder in (script.path.parent, script.base_dir)
                for ext in ("", ".json")
            ]
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                raise UserError(
                    f"script '{script.path}': keyframe '{name}' not found "
                    f"(looked in {script.path.parent} and {script.base_dir})"
                )
            cache[name] = load_keyframes(found, latent_dim)[0]
        return cache[name]

    for index, entry in enumerate(script.data):
        yield from cut_vectors(_Cut(index, entry), vector, rng)
