"""The DCGAN discriminator, configurable like seed 000's: ``nbr_of_layers_d`` counts its
stride-2 convolutions (each halving the size and doubling the channels from ``df_dim``)
and the final linear layer to one logit; batch norm on every convolution but the first."""

from __future__ import annotations

import torch
from torch import nn

from pydantic import BaseModel, ConfigDict, Field

from app.engine.generators.dcgan import ACTIVATION_NAMES, activation_width_factor, make_activation


class DiscriminatorLayout(BaseModel):
    """What shapes the discriminator: the training job's fields of the same names (a
    checkpoint keeps the whole job; the rest is ignored here)."""

    model_config = ConfigDict(extra="ignore")

    nbr_of_layers_d: int = Field(ge=2, le=9)
    activation_d: str
    df_dim: int = Field(ge=1, le=1024)
    k_h: int = Field(ge=1, le=15)
    k_w: int = Field(ge=1, le=15)
    batch_norm_d: bool
    output_height: int = Field(ge=4, le=1024)
    output_width: int = Field(ge=4, le=1024)

    def model_post_init(self, _context) -> None:
        if self.activation_d not in ACTIVATION_NAMES:
            raise ValueError(f"activation_d: unknown activation {self.activation_d!r}")


class Discriminator(nn.Module):
    def __init__(self, config: DiscriminatorLayout) -> None:
        """``config``: a DiscriminatorLayout, or anything with its fields (the training
        job)."""
        super().__init__()
        n_down = config.nbr_of_layers_d - 1
        factor = activation_width_factor(config.activation_d)
        layers: list[nn.Module] = []
        in_ch = 3
        for i in range(n_down):
            out_ch = config.df_dim * 2**i
            layers.append(
                nn.Conv2d(
                    in_ch,
                    out_ch,
                    (config.k_h, config.k_w),
                    stride=2,
                    padding=((config.k_h - 1) // 2, (config.k_w - 1) // 2),
                )
            )
            if config.batch_norm_d and i > 0:
                layers.append(nn.BatchNorm2d(out_ch))
            layers.append(make_activation(config.activation_d))
            in_ch = out_ch * factor
        self.body = nn.Sequential(*layers)
        h, w = config.output_height, config.output_width
        for _ in range(n_down):  # as each stride-2 convolution with this padding shrinks
            h = (h + 2 * ((config.k_h - 1) // 2) - config.k_h) // 2 + 1
            w = (w + 2 * ((config.k_w - 1) // 2) - config.k_w) // 2 + 1
        self.head = nn.Linear(in_ch * h * w, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits [B] that ``images`` [B, 3, H, W] in [-1, 1] are real."""
        return self.head(self.body(images).flatten(1)).squeeze(1)
