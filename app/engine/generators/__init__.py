"""Generators behind one protocol; ``build_generator`` picks one from a patch's spec."""

from __future__ import annotations

from pathlib import Path

from app.core.patch import GeneratorSpec
from app.engine.device import Placement

from .base import Generator
from .dcgan import DCGANPlayer
from .field import FieldGenerator
from .torchscript import TorchScriptGenerator

__all__ = ["Generator", "build_generator", "FieldGenerator", "DCGANPlayer",
           "TorchScriptGenerator"]


def build_generator(spec: GeneratorSpec, size: tuple[int, int], placement: Placement,
                    seed: int, base_dir: Path | None = None) -> Generator:
    """The generator a patch asks for. Model paths are relative to ``base_dir`` (the preset's
    folder). Raises UserError naming the model file when it cannot be used."""
    if spec.kind == "field":
        return FieldGenerator(size, placement, look=spec.look,
                              seed=spec.seed if spec.seed is not None else seed,
                              render_scale=spec.render_scale, overrides=dict(spec.shape))
    path = Path(spec.path or "")
    if base_dir is not None and not path.is_absolute() and not path.exists():
        path = base_dir / path
    if spec.kind == "dcgan":
        return DCGANPlayer.from_checkpoint(path, placement)
    return TorchScriptGenerator(path, placement)
