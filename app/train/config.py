"""A training job: every model and video parameter of seed 000's job files, checked.

The same model serves the command line, CSV rows and YAML entries, so a value means the
same thing wherever it is written, and a bad one is reported with the field's name.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.engine.generators.dcgan import ACTIVATION_NAMES, DCGANConfig

Activation = Literal[ACTIVATION_NAMES]


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=120,
        pattern=r"^[\w.-]+$",
        description="job name: file names of checkpoints and videos",
    )
    dataset: list[str] = Field(
        min_length=1, description="image folders or video files (comma-separated in a CSV)"
    )
    grid_width: int = Field(3, ge=1, le=16)
    grid_height: int = Field(3, ge=1, le=16)
    video_length: float = Field(1.0, gt=0.0, le=600.0, description="timelapse minutes")
    fps: float = Field(30.0, ge=1.0, le=120.0, description="timelapse frame rate")
    render_res: tuple[int, int] | None = Field(
        None, description="WxH: one video per grid box at this size instead of the grid"
    )
    auto_render_period: float | None = Field(
        None, gt=0.0, description="minutes of timelapse per time-cut file"
    )
    nbr_of_layers_g: int = Field(5, ge=2, le=9)
    nbr_of_layers_d: int = Field(5, ge=2, le=9)
    activation_g: Activation = "relu"
    activation_d: Activation = "lrelu"
    learning_rate_g: float = Field(0.0002, gt=0.0, le=1.0)
    learning_rate_d: float = Field(0.0002, gt=0.0, le=1.0)
    beta1_g: float = Field(0.5, ge=0.0, lt=1.0)
    beta1_d: float = Field(0.5, ge=0.0, lt=1.0)
    k_w: int = Field(5, ge=1, le=15)
    k_h: int = Field(5, ge=1, le=15)
    batch_norm_g: bool = True
    batch_norm_d: bool = True
    output_width: int = Field(64, ge=4, le=1024)
    output_height: int = Field(64, ge=4, le=1024)
    latent_dim: int = Field(100, ge=1, le=4096)
    gf_dim: int = Field(64, ge=1, le=1024)
    df_dim: int = Field(64, ge=1, le=1024)
    g_updates: int = Field(
        2, ge=1, le=10, description="generator updates per discriminator update (seed 000: 2)"
    )
    frame_step: int = Field(1, ge=1, le=10_000, description="every Nth frame of a video")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, description="default: one per timelapse frame")
    epochs: float | None = Field(None, gt=0.0)

    @field_validator("dataset", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("render_res", mode="before")
    @classmethod
    def _size(cls, value):
        if isinstance(value, str):
            if not value.strip():
                return None
            match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", value)
            if not match:
                raise ValueError(f"{value!r} is not WIDTHxHEIGHT")
            value = (int(match.group(1)), int(match.group(2)))
        if value is not None and (
            min(value) < 16 or max(value) > 7680 or value[0] % 2 or value[1] % 2
        ):
            raise ValueError("each side must be even, 16 to 7680 pixels")
        return value

    @model_validator(mode="after")
    def _check(self) -> "TrainConfig":
        factor = 2 ** (max(self.nbr_of_layers_g, self.nbr_of_layers_d) - 1)
        for name in ("output_width", "output_height"):
            if getattr(self, name) % factor:
                raise ValueError(
                    f"{name} {getattr(self, name)} must be divisible by "
                    f"2**(nbr_of_layers-1) = {factor}"
                )
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        return self

    @property
    def batch_size(self) -> int:
        return self.grid_width * self.grid_height

    @property
    def size(self) -> tuple[int, int]:
        return self.output_width, self.output_height

    @property
    def timelapse_frames(self) -> int:
        return max(1, round(self.video_length * 60.0 * self.fps))

    def generator_config(self) -> DCGANConfig:
        return DCGANConfig(
            latent_dim=self.latent_dim,
            nbr_of_layers_g=self.nbr_of_layers_g,
            activation_g=self.activation_g,
            k_w=self.k_w,
            k_h=self.k_h,
            batch_norm_g=self.batch_norm_g,
            gf_dim=self.gf_dim,
            output_width=self.output_width,
            output_height=self.output_height,
        )


MODEL_FIELDS = tuple(f for f in TrainConfig.model_fields if f not in ("name", "dataset"))
