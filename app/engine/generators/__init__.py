"""Generators behind one protocol; ``build_generator`` picks one from a patch's spec."""

from __future__ import annotations

import threading
from pathlib import Path

from app.core.patch import GeneratorSpec
from app.engine.device import Placement

from .base import Generator, ScaledGenerator
from .dcgan import DCGANPlayer
from .field import FieldGenerator
from .torchscript import TorchScriptGenerator

__all__ = ["Generator", "ScaledGenerator", "GeneratorCache", "build_generator", "generator_key",
           "model_path", "FieldGenerator", "DCGANPlayer", "TorchScriptGenerator"]


def model_path(spec: GeneratorSpec, base_dir: Path | None) -> Path:
    """A dcgan / torchscript file: relative paths are tried as given, then in ``base_dir``
    (the preset's folder)."""
    path = Path(spec.path or "")
    if base_dir is not None and not path.is_absolute() and not path.exists():
        path = base_dir / path
    return path


def generator_key(spec: GeneratorSpec, seed: int, base_dir: Path | None = None) -> tuple:
    """What makes two patches' latent spaces the same one: the kind, and the field look, its
    weight seed and shape, or the model file. Size, fit and render scale do not matter.
    Patches with equal keys crossfade in latent space."""
    if spec.kind == "field":
        weights = spec.seed if spec.seed is not None else seed
        return ("field", spec.look, weights, tuple(sorted((k, str(v))
                                                          for k, v in spec.shape.items())))
    return (spec.kind, str(model_path(spec, base_dir).resolve()))


def build_generator(spec: GeneratorSpec, size: tuple[int, int], placement: Placement,
                    seed: int, base_dir: Path | None = None) -> Generator:
    """The generator a patch asks for. Model paths are relative to ``base_dir`` (the preset's
    folder). Raises UserError naming the model file when it cannot be used."""
    if spec.kind == "field":
        return FieldGenerator(size, placement, look=spec.look,
                              seed=spec.seed if spec.seed is not None else seed,
                              render_scale=spec.render_scale, overrides=dict(spec.shape))
    path = model_path(spec, base_dir)
    if spec.kind == "dcgan":
        return DCGANPlayer.from_checkpoint(path, placement)
    return TorchScriptGenerator(path, placement)


class GeneratorCache:
    """Generators already built, by latent space, size, render scale and device: edits of
    the playing patch (routes, motion, effects) reuse its generator instead of building or
    loading it again. Holds one latent space at a time (a new one drops the rest; renderers
    still playing keep their own references). Any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._built: dict[tuple, Generator] = {}

    def forget(self) -> None:
        """Build afresh next time (a model file loaded again may have changed on disk)."""
        with self._lock:
            self._key, self._built = None, {}

    def get(self, spec: GeneratorSpec, size: tuple[int, int], placement: Placement,
            seed: int, base_dir: Path | None = None) -> Generator:
        key = generator_key(spec, seed, base_dir)
        variant = (tuple(size), spec.render_scale, placement)
        with self._lock:
            if key == self._key and variant in self._built:
                return self._built[variant]
        generator = build_generator(spec, size, placement, seed, base_dir)  # may raise
        with self._lock:
            if key != self._key:
                self._key, self._built = key, {}
            self._built[variant] = generator
        return generator
