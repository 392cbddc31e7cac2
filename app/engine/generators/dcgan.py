"""``dcgan``: the DCGAN generator of the seed projects, configurable and checkpoint-driven.

Layout (as carpedm20/DCGAN-tensorflow, generalised like seed 000): a linear projection of z
to a (h0, w0) map with ``gf_dim * 2**(n-2)`` channels, then ``n - 1`` stride-2 transposed
convolutions, each doubling the size and halving the channels, the last one to RGB + tanh.
``nbr_of_layers`` counts the projection and the transposed convolutions. Checkpoints embed
their config, so a file alone is enough to rebuild the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from torch import nn

from app.core.errors import UserError, describe, validation_message
from app.engine.device import Placement
from app.engine.model_files import check_weights

CHECKPOINT_FORMAT = "latentvj.dcgan"
CHECKPOINT_VERSION = 1
ACTIVATION_NAMES = (
    "relu",
    "relu6",
    "lrelu",
    "elu",
    "crelu",
    "selu",
    "tanh",
    "sigmoid",
    "softplus",
    "softsign",
    "softmax",
    "swish",
)


class CReLU(nn.Module):
    """Concatenated ReLU: [relu(x), relu(-x)] along channels (doubles the channel count)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(x), torch.relu(-x)], dim=1)


def make_activation(name: str) -> nn.Module:
    """The activation named in seed 000's list (``softmax`` is over channels)."""
    table = {
        "relu": nn.ReLU,
        "relu6": nn.ReLU6,
        "lrelu": lambda: nn.LeakyReLU(0.2),
        "elu": nn.ELU,
        "crelu": CReLU,
        "selu": nn.SELU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "softplus": nn.Softplus,
        "softsign": nn.Softsign,
        "softmax": lambda: nn.Softmax(dim=1),
        "swish": nn.SiLU,
    }
    return table[name]()


def activation_width_factor(name: str) -> int:
    return 2 if name == "crelu" else 1


class DCGANConfig(BaseModel):
    """Every generator-side model parameter of seed 000's job files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latent_dim: int = Field(100, ge=1, le=4096)
    nbr_of_layers_g: int = Field(5, ge=2, le=9)
    activation_g: str = "relu"
    k_w: int = Field(5, ge=1, le=15)
    k_h: int = Field(5, ge=1, le=15)
    batch_norm_g: bool = True
    gf_dim: int = Field(64, ge=1, le=1024)
    output_width: int = Field(64, ge=4, le=4096)
    output_height: int = Field(64, ge=4, le=4096)

    @model_validator(mode="after")
    def _check(self) -> "DCGANConfig":
        if self.activation_g not in ACTIVATION_NAMES:
            raise ValueError(
                f"activation_g {self.activation_g!r} is not one of {', '.join(ACTIVATION_NAMES)}"
            )
        factor = 2 ** (self.nbr_of_layers_g - 1)
        for name, size in (
            ("output_width", self.output_width),
            ("output_height", self.output_height),
        ):
            if size % factor:
                raise ValueError(
                    f"{name} {size} must be divisible by 2**(nbr_of_layers_g-1) = {factor}"
                )
        return self


class DCGANGenerator(nn.Module):
    """The DCGAN generator network; ``forward(z) -> [B, 3, H, W]`` in [-1, 1]."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        n_up = config.nbr_of_layers_g - 1
        self.h0 = config.output_height // 2**n_up
        self.w0 = config.output_width // 2**n_up
        channels = [config.gf_dim * 2 ** (n_up - 1 - i) for i in range(n_up)] + [3]
        channels[0] = max(channels[0], 1)
        factor = activation_width_factor(config.activation_g)
        self.project = nn.Linear(config.latent_dim, channels[0] * self.h0 * self.w0)
        self.project_norm = nn.BatchNorm2d(channels[0]) if config.batch_norm_g else nn.Identity()
        self.project_act = make_activation(config.activation_g)
        layers: list[nn.Module] = []
        for i in range(n_up):
            in_ch = channels[i] * factor
            out_ch = channels[i + 1]
            last = i == n_up - 1
            layers.append(
                nn.ConvTranspose2d(
                    in_ch,
                    out_ch,
                    (config.k_h, config.k_w),
                    stride=2,
                    padding=((config.k_h - 1) // 2, (config.k_w - 1) // 2),
                    output_padding=_output_padding(config.k_h, config.k_w),
                )
            )
            if last:
                layers.append(nn.Tanh())
            else:
                if config.batch_norm_g:
                    layers.append(nn.BatchNorm2d(out_ch))
                layers.append(make_activation(config.activation_g))
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).view(z.shape[0], -1, self.h0, self.w0)
        return self.body(self.project_act(self.project_norm(x)))


def _output_padding(k_h: int, k_w: int) -> tuple[int, int]:
    """Output padding making a stride-2 transposed conv with padding (k-1)//2 exactly double.

    out = (in - 1) * 2 - 2 p + k + op = 2 in  =>  op = 2 + 2 p - k, which is 1 for odd k and
    0 for even k (always below the stride, as torch requires).
    """
    return (2 + 2 * ((k_h - 1) // 2) - k_h, 2 + 2 * ((k_w - 1) // 2) - k_w)


def save_checkpoint(
    path: str | Path, model: DCGANGenerator, extra: dict[str, Any] | None = None
) -> None:
    """Write a self-describing checkpoint (config + weights) atomically."""
    from app.core.atomic import atomic_path

    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": model.config.model_dump(),
        "generator": model.state_dict(),
        **(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_torch_file(path: Path, where: str) -> Any:
    """What ``torch.save`` wrote to ``path``, read weights-only (tensors and plain data,
    nothing run); UserError starting with ``where`` when it is missing or unreadable."""
    if not path.is_file():
        raise UserError(f"{where}: not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UserError(f"{where}: not a readable torch checkpoint ({describe(exc)})") from None


def load_checkpoint_model(path: str | Path) -> tuple[DCGANGenerator, dict[str, Any]]:
    """Rebuild the generator from a checkpoint; UserError naming the file for any problem."""
    path = Path(path)
    where = f"checkpoint '{path}'"
    payload = read_torch_file(path, where)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise UserError(
            f"{where}: not a latentvj DCGAN checkpoint (no '{CHECKPOINT_FORMAT}' "
            "format tag); export other models with torch.jit.save and load them "
            "as 'torchscript'"
        )
    if payload.get("version") != CHECKPOINT_VERSION:
        raise UserError(
            f"{where}: checkpoint version {payload.get('version')!r} is not "
            f"supported (expected {CHECKPOINT_VERSION})"
        )
    try:
        config = DCGANConfig(**payload.get("config", {}))
    except (ValidationError, TypeError) as exc:
        raise UserError(f"{where}: invalid embedded config ({validation_message(exc)})") from None
    model = DCGANGenerator(config)
    state = payload.get("generator")
    check_weights(where, model, state)
    model.load_state_dict(state)
    return model.eval(), payload


class DCGANPlayer:
    """A DCGAN network adapted to the Generator protocol (unconditional: class_dim 0)."""

    class_dim = 0

    def __init__(self, model: DCGANGenerator, placement: Placement, name: str = "dcgan") -> None:
        self.placement = placement
        self.model = model.to(placement.device, placement.dtype).eval()
        cfg = model.config
        self.latent_dim = cfg.latent_dim
        self.native_size = (cfg.output_width, cfg.output_height)
        self.description = (
            f"{name}: DCGAN {cfg.nbr_of_layers_g} layers, {cfg.activation_g}, "
            f"k{cfg.k_h}x{cfg.k_w}, {cfg.output_width}x{cfg.output_height}"
        )

    @staticmethod
    def from_checkpoint(path: str | Path, placement: Placement) -> "DCGANPlayer":
        model, _ = load_checkpoint_model(path)
        return DCGANPlayer(model, placement, name=Path(path).name)

    @staticmethod
    def random(config: DCGANConfig, placement: Placement, seed: int = 0) -> "DCGANPlayer":
        """An untrained network with seeded DCGAN initialisation (N(0, 0.02) weights)."""
        gen = torch.Generator().manual_seed(seed)  # local: never disturbs torch's global RNG
        model = DCGANGenerator(config)
        for module in model.modules():
            if isinstance(module, (nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(module.weight, 0.0, 0.02, generator=gen)
                nn.init.zeros_(module.bias)
        return DCGANPlayer(model, placement, name="dcgan(random)")

    def __call__(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(z.to(self.placement.device, self.placement.dtype))
