"""``biggan``: BigGAN-deep from a folder holding ``config.json`` and ``pytorch_model.bin``
(the layout of the published biggan-deep-128/256/512 PyTorch weights), or either file.

The class vector is performable: the patch's class spec (fixed mixes, cycles, chroma ->
class) gives the mix, ``gan.class.scale`` scales it (seed 003's ``y_scale``: above 1 the
class shows harder, below softer) and ``gan.truncation`` is BigGAN's truncation (the noise
is truncated to [-2, 2] and scaled by it, and the batch-norm statistics stored for that
level are used). Weights are read with torch's weights-only unpickler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import torch
from pydantic import ValidationError

from app.core.errors import UserError, describe, validation_message
from app.engine.device import Placement
from app.engine.model_files import load_torch_weights

from .biggan_net import BigGANConfig, BigGANDeep
from .base import NetworkInfo, settle_precision

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "pytorch_model.bin"
TRUNCATION_RANGE = (0.02, 1.0)  # the stored statistics cover (0, 1]
NOISE_LIMIT = 2.0  # truncated normal noise, as the published sampler draws it


def biggan_files(path: str | Path) -> tuple[Path, Path]:
    """(config, weights) for a BigGAN folder or either of its two files; UserError naming
    what is missing."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise UserError(f"{path}: not found")
    config, weights = folder / CONFIG_NAME, folder / WEIGHTS_NAME
    for needed in (config, weights):
        if not needed.is_file():
            raise UserError(
                f"{folder}: a BigGAN folder needs {CONFIG_NAME} and "
                f"{WEIGHTS_NAME}; {needed.name} is missing"
            )
    return config, weights


def read_config(path: Path) -> BigGANConfig:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BigGANConfig(**data) if isinstance(data, dict) else BigGANConfig.model_validate(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({describe(exc)})") from None
    except ValidationError as exc:
        raise UserError(f"{path}: {validation_message(exc, top_level='(top level)')}") from None


class BigGANGenerator:
    """BigGAN-deep behind the Generator protocol (class-conditional)."""

    def __init__(
        self,
        config: BigGANConfig,
        state: dict[str, torch.Tensor],
        placement: Placement,
        path: Path = Path("biggan"),
    ) -> None:
        """``path``: the folder, named in messages."""
        weights_path, config_name = path / WEIGHTS_NAME, CONFIG_NAME
        self.config = config
        try:
            self.network = BigGANDeep(self.config, state)
        except KeyError as exc:
            raise UserError(
                f"{weights_path}: does not match {config_name} (no tensor {exc.args[0]})"
            ) from None
        self.placement = placement
        self.network.eval()
        self.latent_dim = self.config.z_dim
        self.class_dim = self.config.num_classes
        self.native_size = (self.config.output_dim, self.config.output_dim)
        self.description = (
            f"BigGAN-deep: {path.name}, {self.config.output_dim}x"
            f"{self.config.output_dim}, z{self.latent_dim}, "
            f"{self.class_dim} classes"
        )
        try:
            self.description += settle_precision(self.network, placement, self._attach)
            with torch.inference_mode():
                out = self(torch.zeros(1, self.latent_dim))
        except RuntimeError as exc:
            raise UserError(
                f"{weights_path}: does not match {config_name} ({describe(exc)})"
            ) from None
        if tuple(out.shape[-2:]) != (self.config.output_dim, self.config.output_dim):
            raise UserError(
                f"{weights_path}: draws {out.shape[-1]}x{out.shape[-2]}, not the "
                f"{self.config.output_dim} of {config_name}"
            )

    @classmethod
    def from_folder(cls, path: str | Path, placement: Placement) -> "BigGANGenerator":
        """A folder holding config.json and pytorch_model.bin (or either file)."""
        config_path, weights_path = biggan_files(path)
        return cls(
            read_config(config_path),
            load_torch_weights(weights_path),
            placement,
            config_path.parent,
        )

    def _attach(self, network: BigGANDeep, placement: Placement) -> torch.Tensor:
        """Play ``network`` on ``placement``; a test picture (for settle_precision)."""
        self.network, self.placement = network, placement
        with torch.inference_mode():
            return self(torch.randn(1, self.latent_dim, generator=torch.Generator().manual_seed(0)))

    def info(self) -> NetworkInfo:
        blocks = len(self.config.layers)
        return NetworkInfo(
            "BigGAN-deep",
            self.config.output_dim,
            self.latent_dim,
            0,
            self.class_dim,
            0,
            blocks,
            f"channels    {self.config.channel_width} per unit; attention "
            f"before block {self.config.attention_layer_position}",
        )

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.draw_with(z, y, {})

    def draw_with(
        self, z: torch.Tensor, y: torch.Tensor | None, params: Mapping[str, float]
    ) -> torch.Tensor:
        """The picture of latent ``z`` (standard normal) and class mix ``y``."""
        lo, hi = TRUNCATION_RANGE
        truncation = float(min(hi, max(lo, params.get("gan.truncation", 1.0))))
        dev, dt = self.placement.device, self.placement.dtype
        z = z.to(dev, dt).clamp(-NOISE_LIMIT, NOISE_LIMIT) * truncation
        if y is None:
            y = torch.zeros(z.shape[0], self.class_dim)
            y[:, 0] = 1.0
        y = y.to(dev, dt) * float(params.get("gan.class.scale", 1.0))
        return self.draw(z, y, truncation)

    def draw(self, z: torch.Tensor, y: torch.Tensor, truncation: float) -> torch.Tensor:
        """The network as published: truncated noise ``z``, class vector ``y``."""
        return self.network(
            z.to(self.placement.device, self.placement.dtype),
            y.to(self.placement.device, self.placement.dtype),
            truncation,
        )
