"""A video-generator training job (seed 002 in latentvj's terms): the footage and how it
is cut into windows, the network, the loss, and the studio's outputs. One model checks
the command line and job-file rows alike, so a bad value is reported with its name."""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.engine.video_nets import VideoNetConfig

from .sequences import Slider


class VideoJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"^[\w.-]+$",
                      description="job name: file names of checkpoints and videos")  # fmt: skip
    dataset: str = Field(min_length=1, description="a video file or a folder of frames")
    frames_in: int = Field(4, ge=1, le=64, description="given frames (T)")
    frames_out: int = Field(1, ge=1, le=64, description="predicted frames (K)")
    stride: int = Field(1, ge=1, le=10_000, description="frames between window starts")
    step: int = Field(1, ge=1, le=100, description="every Nth frame inside a window")
    frame_step: int = Field(1, ge=1, le=10_000, description="load every Nth frame")
    size: tuple[int, int] = Field((64, 64), description="WxH training size (cover + crop)")
    crop: tuple[int, int, int, int] | None = Field(
        None, description="X,Y,W,H: train on this region of the footage's frames"
    )
    folder_fps: float = Field(25.0, gt=0.0, le=1000.0, description="a folder's frame rate")
    validation: float = Field(0.1, ge=0.0, lt=0.9, description="the footage's last share "
                              "that validates")  # fmt: skip
    arch: Literal["unet", "resnet"] = "unet"
    channels: int = Field(32, ge=1, le=512, description="first level's channels")
    levels: int = Field(3, ge=1, le=7, description="U-Net levels (channels double)")
    blocks: int = Field(4, ge=1, le=32, description="ResNet residual blocks")
    loss: Literal["mixed", "adversarial"] = "mixed"
    l1: float = Field(100.0, ge=0.0, description="mixed: L1 reconstruction weight")
    l2: float = Field(0.0, ge=0.0, description="mixed: L2 reconstruction weight")
    learning_rate: float = Field(2e-4, gt=0.0, le=1.0)
    beta1: float = Field(0.5, ge=0.0, lt=1.0)
    batch: int = Field(8, ge=1, le=1024, description="windows a step")
    steps: int | None = Field(None, ge=1, description="default: 2000")
    epochs: float | None = Field(None, gt=0.0, description="passes over the training windows")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    samples: int = Field(4, ge=1, le=16, description="validation windows in a sample grid")
    timelapse_frames: int = Field(120, ge=1, le=100_000, description="prediction timelapse")
    fps: float = Field(30.0, ge=1.0, le=120.0, description="timelapse frame rate")

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value):
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", value)
            if not match:
                raise ValueError(f"{value!r} is not WIDTHxHEIGHT")
            value = (int(match.group(1)), int(match.group(2)))
        return value

    @field_validator("crop", mode="before")
    @classmethod
    def _crop(cls, value):
        if isinstance(value, str):
            if not value.strip():
                return None
            parts = value.split(",")
            if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
                raise ValueError(f"{value!r} is not X,Y,W,H (four whole numbers)")
            value = tuple(int(p) for p in parts)
        if value is not None and min(value[2:]) < 1:
            raise ValueError("width and height must be at least 1")
        return value

    @model_validator(mode="after")
    def _check(self) -> "VideoJob":
        w, h = self.size
        if min(w, h) < 8 or max(w, h) > 2048:
            raise ValueError("size: each side 8 to 2048 pixels")
        divisor = self.net_config(25.0).divisor
        if w % divisor or h % divisor:
            raise ValueError(f"size: {w}x{h} must divide by {divisor} for {self.arch} "
                             f"with {self.levels} levels")  # fmt: skip
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        return self

    @property
    def slider(self) -> Slider:
        return Slider(self.frames_in, self.frames_out, self.stride, self.step)

    def net_config(self, frame_rate: float) -> VideoNetConfig:
        return VideoNetConfig(kind=self.arch, frames_in=self.frames_in,
                              frames_out=self.frames_out, channels=self.channels,
                              levels=self.levels, blocks=self.blocks, width=self.size[0],
                              height=self.size[1], frame_rate=frame_rate)  # fmt: skip

    def total_steps(self, training_windows: int) -> int:
        if self.epochs is not None:
            return max(1, math.ceil(self.epochs * training_windows / self.batch))
        return self.steps or 2000


VIDEO_FIELDS = tuple(f for f in VideoJob.model_fields if f not in ("name", "dataset"))
