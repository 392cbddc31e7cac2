"""Generators behind one protocol; ``build_generator`` picks one from a patch's spec."""

from __future__ import annotations

import threading
from pathlib import Path

from app.core.errors import UserError
from app.core.patch import GeneratorSpec, Patch
from app.engine.device import Placement

from .base import W_PROGRESS, ControlledGenerator, Generator, NetworkInfo, ScaledGenerator
from .biggan import BigGANGenerator
from .dcgan import DCGANPlayer
from .field import FieldGenerator
from .stylegan import StyleGANGenerator
from .torchscript import TorchScriptGenerator

__all__ = [
    "W_PROGRESS",
    "Generator",
    "ScaledGenerator",
    "ControlledGenerator",
    "NetworkInfo",
    "GeneratorCache",
    "build_generator",
    "generator_key",
    "model_path",
    "model_kind",
    "with_missing_model_replaced",
    "with_model",
    "FieldGenerator",
    "DCGANPlayer",
    "TorchScriptGenerator",
    "StyleGANGenerator",
    "BigGANGenerator",
]


def model_path(spec: GeneratorSpec, base_dir: Path | None) -> Path:
    """A model file or folder: relative paths are tried as given, then in ``base_dir``
    (the preset's folder)."""
    path = Path(spec.path or "")
    if base_dir is not None and not path.is_absolute() and not path.exists():
        path = base_dir / path
    return path


def model_kind(path: str | Path) -> str:
    """The generator kind of a model file or folder, by its form: a folder (or its
    config.json / pytorch_model.bin) is BigGAN, ``.pkl`` a StyleGAN pickle, ``.pt2`` /
    ``.ts`` / ``.jit`` TorchScript, and ``.pt`` / ``.pth`` a latentvj DCGAN checkpoint
    (a ``.pt`` with a JSON sidecar is TorchScript)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"model '{path}': not found")
    if path.is_dir() or path.name in ("config.json", "pytorch_model.bin"):
        return "biggan"
    suffix = path.suffix.lower()
    if suffix == ".pkl":
        return "stylegan"
    if suffix in (".pt2", ".ts", ".jit") or (
        suffix == ".pt" and (path.with_suffix(".json").is_file() or Path(f"{path}.json").is_file())
    ):
        return "torchscript"
    if suffix in (".pt", ".pth", ".ckpt"):
        return "dcgan"
    raise UserError(
        f"model '{path}': not a model latentvj knows (a StyleGAN .pkl, a "
        "BigGAN folder, a DCGAN checkpoint .pt or a TorchScript export)"
    )


def with_model(patch: Patch, model: str | Path | None) -> Patch:
    """``patch`` playing the model file or folder ``model`` (``--model``), kind by its form."""
    if model is None:
        return patch
    spec = GeneratorSpec(
        kind=model_kind(model), path=str(Path(model).resolve()), fit=patch.generator.fit
    )
    return patch.model_copy(update={"generator": spec})


def with_missing_model_replaced(patch: Patch, base_dir: Path | None) -> tuple[Patch, str | None]:
    """A preset naming a model file that is not there plays on the built-in look instead,
    with a notice saying so (a shared preset without its network still plays)."""
    spec = patch.generator
    if spec.kind == "field" or model_path(spec, base_dir).exists():
        return patch, None
    field = GeneratorSpec(fit=spec.fit)
    notice = (
        f"preset '{patch.name}': model '{spec.path}' not found; playing the built-in "
        f"'{field.look}' look instead"
    )
    return patch.model_copy(update={"generator": field}), notice


def generator_key(spec: GeneratorSpec, seed: int, base_dir: Path | None = None) -> tuple:
    """What makes two patches' latent spaces the same one: the kind, and the field look, its
    weight seed and shape, or the model file. Size, fit and render scale do not matter.
    Patches with equal keys crossfade in latent space."""
    if spec.kind == "field":
        weights = spec.seed if spec.seed is not None else seed
        return (
            "field",
            spec.look,
            weights,
            tuple(sorted((k, str(v)) for k, v in spec.shape.items())),
        )
    return (spec.kind, str(model_path(spec, base_dir).resolve()))


def build_generator(
    spec: GeneratorSpec,
    size: tuple[int, int],
    placement: Placement,
    seed: int,
    base_dir: Path | None = None,
) -> Generator:
    """The generator a patch asks for. Model paths are relative to ``base_dir`` (the preset's
    folder). Raises UserError naming the model file when it cannot be used."""
    if spec.kind == "field":
        return FieldGenerator(
            size,
            placement,
            look=spec.look,
            seed=spec.seed if spec.seed is not None else seed,
            render_scale=spec.render_scale,
            overrides=dict(spec.shape),
        )
    path = model_path(spec, base_dir)
    if spec.kind == "dcgan":
        return DCGANPlayer.from_checkpoint(path, placement)
    if spec.kind == "stylegan":
        return StyleGANGenerator.from_file(path, placement, seed)
    if spec.kind == "biggan":
        return BigGANGenerator.from_folder(path, placement)
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

    def get(
        self,
        spec: GeneratorSpec,
        size: tuple[int, int],
        placement: Placement,
        seed: int,
        base_dir: Path | None = None,
    ) -> Generator:
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
