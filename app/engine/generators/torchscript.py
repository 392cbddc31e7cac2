"""``torchscript``: any user-exported generator (``torch.jit.save``, or ``torch.export.save``
to a ``.pt2`` file, which torch now recommends) plus a JSON sidecar.

This is the path for StyleGAN / BigGAN users: export the mapping + synthesis (or the
conditional generator) as one TorchScript module taking ``z`` (and ``y`` when
``class_dim`` > 0), and describe it in ``MODEL.json`` (or ``MODEL.pt.json``) beside it::

    {"latent_dim": 512, "class_dim": 0, "output_range": [-1, 1]}

The module is test-run once at load with a zero latent, so a wrong sidecar is reported
then, naming the file, not in the middle of a set. Exported ``.pt2`` programs run with the
batch size they were exported with unless exported with a dynamic batch dimension; the
renderer calls with batch 1.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.errors import UserError, describe, validation_message
from app.engine.device import Placement


class Sidecar(BaseModel):
    """What latentvj needs to know about an exported generator."""

    model_config = ConfigDict(extra="forbid")

    latent_dim: int = Field(ge=1, le=65536)
    class_dim: int = Field(0, ge=0, le=100_000)
    output_range: tuple[float, float] = (-1.0, 1.0)
    name: str = ""

    @field_validator("output_range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError("output_range must be [low, high] with low < high")
        return value


def sidecar_path(model_path: Path) -> Path | None:
    for candidate in (model_path.with_suffix(".json"), Path(f"{model_path}.json")):
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(model_path: Path) -> Sidecar:
    path = sidecar_path(model_path)
    if path is None:
        raise UserError(
            f"model '{model_path}': no sidecar JSON found ('{model_path.with_suffix('.json')}'"
            " with latent_dim, class_dim, output_range)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"model sidecar '{path}': not valid JSON ({exc})") from None
    try:
        return Sidecar(**data) if isinstance(data, dict) else Sidecar.model_validate(data)
    except ValidationError as exc:
        raise UserError(
            f"model sidecar '{path}': {validation_message(exc, top_level='(top level)')}"
        ) from None


class TorchScriptGenerator:
    """A ``torch.jit`` module adapted to the Generator protocol."""

    def __init__(self, path: str | Path, placement: Placement) -> None:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"model '{path}': not found")
        self.sidecar = read_sidecar(path)
        self.placement = placement
        self.module = self._load(path, placement)
        if placement.dtype != torch.float32:
            self.module.to(placement.dtype)
        self.latent_dim = self.sidecar.latent_dim
        self.class_dim = self.sidecar.class_dim
        probe = self._probe(path)
        self.native_size = (int(probe.shape[-1]), int(probe.shape[-2]))
        self.description = (
            f"torchscript: {self.sidecar.name or path.name}, "
            f"{self.native_size[0]}x{self.native_size[1]}, z{self.latent_dim}"
            + (f", {self.class_dim} classes" if self.class_dim else "")
        )

    @staticmethod
    def _load(path: Path, placement: Placement) -> torch.nn.Module:
        try:
            if path.suffix == ".pt2":
                return torch.export.load(str(path)).module().to(placement.device)
            with warnings.catch_warnings():  # torch 2.13 deprecates jit; users still export it
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(str(path), map_location=placement.device).eval()
        except Exception as exc:
            kind = "an exported program (.pt2)" if path.suffix == ".pt2" else "a TorchScript file"
            raise UserError(f"model '{path}': not {kind} ({describe(exc)})") from None

    def _probe(self, path: Path) -> torch.Tensor:
        z = torch.zeros(1, self.latent_dim)
        y = torch.zeros(1, self.class_dim) if self.class_dim else None
        try:
            with torch.inference_mode():
                out = self(z, y)
        except Exception as exc:
            reason = describe(exc)
            raise UserError(
                f"model '{path}': test call with latent_dim={self.latent_dim}, "
                f"class_dim={self.class_dim} failed ({reason})"
            ) from None
        if out.ndim != 4 or out.shape[1] != 3:
            raise UserError(
                f"model '{path}': output shape {tuple(out.shape)} is not [batch, 3, height, width]"
            )
        return out

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        dev, dt = self.placement.device, self.placement.dtype
        z = z.to(dev, dt)
        if self.class_dim:
            if y is None:
                y = torch.zeros(z.shape[0], self.class_dim)
            out = self.module(z, y.to(dev, dt))
        else:
            out = self.module(z)
        lo, hi = self.sidecar.output_range
        if (lo, hi) != (-1.0, 1.0):
            out = (out - lo) * (2.0 / (hi - lo)) - 1.0
        return out.clamp(-1.0, 1.0)
