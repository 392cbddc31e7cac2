"""The patch (a preset's content): generator, latent motion, effects, base values, routes.

Pydantic models with ``extra="forbid"``, so a typo in a hand-edited preset is an error that
names the field instead of a silently ignored key. Parameter ids and route targets are
checked against the registry by ``check_against_registry``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .curves import Easing
from .modulation import ModRoute
from .params import ParamRegistry

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeneratorSpec(_Strict):
    """Which generator plays, and how its output is fitted to the frame."""

    kind: Literal["field", "dcgan", "torchscript", "stylegan", "biggan"] = "field"
    look: str = Field("nebula", description="field look name")
    seed: int | None = Field(None, ge=0, description="field weight seed (default: patch seed)")
    render_scale: float = Field(
        0.5, gt=0.05, le=1.0, description="field internal size / output size"
    )
    shape: dict[str, float | int | str | list[str]] = Field(
        default_factory=dict, description="field look overrides: width, depth, frequency..."
    )
    path: str | None = Field(
        None,
        description="model file or folder (dcgan checkpoint, "
        "TorchScript, StyleGAN .pkl, BigGAN folder); "
        "relative to the preset",
    )
    fit: Literal["cover", "contain", "stretch"] = "cover"

    @model_validator(mode="after")
    def _path_for_models(self) -> "GeneratorSpec":
        if self.kind != "field" and not self.path:
            raise ValueError(f"a {self.kind} generator needs 'path'")
        return self


class OscillateSpec(_Strict):
    """Per-dimension sine oscillation, random phases eased in (seed 001 mode 3)."""

    amplitude: float = Field(0.0, ge=0.0, le=10.0)
    period_beats: float = Field(8.0, gt=0.0, le=4096.0)
    ease_in_beats: float = Field(8.0, ge=0.0, le=4096.0)


class WalkSpec(_Strict):
    """Random walk with velocity and acceleration (seed 001 modes 4, 5, 6-9)."""

    max_speed: float = Field(0.5, ge=0.0, le=20.0, description="latent units per beat")
    max_accel: float = Field(0.25, ge=0.0, le=20.0, description="speed change per beat")
    steps_per_beat: int = Field(4, ge=1, le=64)
    boundary: float = Field(2.5, gt=0.0, le=100.0)
    boundary_mode: Literal["wrap", "clamp", "reflect"] = "reflect"


class FlickerSpec(_Strict):
    """Random jumps around the point or path, each dimension within max_step (modes 8, 11)."""

    max_step: float = Field(0.0, ge=0.0, le=10.0)
    rate_per_beat: float = Field(4.0, gt=0.0, le=64.0)


class ClassSpec(_Strict):
    """Class vectors for conditional generators (ignored when class_dim is 0)."""

    mode: Literal["fixed", "cycle", "chroma", "random"] = Field(
        "fixed",
        description="fixed mix; cycle through classes; chroma -> class (12 "
        "classes for the 12 pitch classes); random: a new random mix "
        "of all classes every cycle_beats, crossfaded (seed 003's "
        "random_label)",
    )
    classes: list[int] = Field(default_factory=list)
    weights: list[float] | None = None
    cycle_beats: float = Field(16.0, gt=0.0)
    temperature: float = Field(0.15, gt=0.0, le=10.0)
    quantize: bool = Field(
        False, description="only the strongest class (seed 003's quantize_label)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ClassSpec":
        if self.weights is not None and len(self.weights) != len(self.classes):
            raise ValueError("weights must have one entry per class")
        if self.mode == "chroma" and self.classes and len(self.classes) != 12:
            raise ValueError("chroma mode maps the 12 pitch classes: give 12 classes")
        return self


class MotionSpec(_Strict):
    """Latent motion timed in beats: a base path plus oscillation and flicker layers."""

    path: Literal["hold", "keyframes", "walk"] = "keyframes"
    keyframes: int = Field(8, ge=1, le=4096, description="random keyframes from the seed")
    keyframes_file: str | None = Field(None, description="JSON keyframes (overrides count)")
    vectors: list[list[float]] | None = Field(
        None,
        description="keyframe latent vectors, as the motion editor keeps them "
        "(override keyframes and keyframes_file)",
    )
    interpolation: Literal["slerp", "lerp"] = "slerp"
    space: Literal["z", "w"] = Field(
        "z",
        description="where keyframes are interpolated: z (the latent, by "
        "'interpolation'), or w (StyleGAN: the keyframes are mapped and "
        "their ws lerped, the usual StyleGAN morph; other generators play z)",
    )
    sequence: Literal["chain", "cuts"] = Field(
        "chain", description="chain: A-B-C-D...; cuts: A-B | C-D | ..."
    )
    transition_beats: float = Field(8.0, ge=0.0, le=4096.0, description="0: hard cuts")
    hold_beats: float = Field(0.0, ge=0.0, le=4096.0)
    easing: Easing = "in_out"
    power: float = Field(3.0, ge=0.0, le=30.0)
    quantize: Literal["beat", "bar"] = Field("bar", description="where triggered jumps land")
    oscillate: OscillateSpec = Field(default_factory=OscillateSpec)
    walk: WalkSpec = Field(default_factory=WalkSpec)
    flicker: FlickerSpec = Field(default_factory=FlickerSpec)
    classes: ClassSpec = Field(default_factory=ClassSpec)

    @model_validator(mode="after")
    def _moves(self) -> "MotionSpec":
        if self.vectors is not None:
            if not self.vectors or not self.vectors[0]:
                raise ValueError("vectors: give at least one keyframe, or null")
            width = len(self.vectors[0])
            for i, row in enumerate(self.vectors):
                if len(row) != width or not all(math.isfinite(v) for v in row):
                    raise ValueError(f"vectors[{i}] must be {width} finite numbers")
        if self.path == "keyframes" and self.transition_beats + self.hold_beats <= 0:
            raise ValueError("transition_beats + hold_beats must be above 0")
        return self


class EffectsSpec(_Strict):
    """Structural effect choices; continuous amounts are parameters (fx.*)."""

    mirror: Literal["none", "horizontal", "vertical", "quad"] = "none"
    kaleidoscope: int = Field(0, ge=0, le=32, description="segments; 0 is off")


BLEND_MODES = ("mix", "add", "screen", "multiply", "difference", "luma_key")
MAX_LAYERS = 2


class LayerSpec(_Strict):
    """A video source composited over the generator's picture (before the effects).

    Where the source plays: ``timing`` ``free`` runs at ``rate`` times real time; ``beats``
    stretches the clip over ``loop_beats`` beats, so its position follows the beat clock
    (scratching with the tempo). ``jump`` moves the position to a random point of the clip
    on every beat or bar. How it mixes: the ``layerN.opacity`` and ``layerN.mode``
    parameters (``mode`` is the blend mode's index in BLEND_MODES; ``layerN.key`` is the
    luma key's threshold), so MIDI, routes and replays reach them.

    A ``continuation`` is a video generator trained with ``train-video`` playing on from
    its footage (app/engine/continuation.py): ``rate`` scales its pace, ``reseed`` says
    when it starts again from the footage, ``layerN.noise`` how far it wanders."""

    source: Literal["video", "images", "camera", "continuation"]
    path: str = Field(
        "",
        description="video file, folder of images, a video generator checkpoint from "
        "train-video (continuation; relative paths: to the preset), or camera (a device: "
        "/dev/video0, a camera's name or index; empty: the first)",
    )
    loop: bool = True
    rate: float = Field(1.0, gt=0.0, le=16.0, description="playback speed (timing free)")
    image_fps: float = Field(2.0, gt=0.0, le=120.0, description="images a second (a folder)")
    timing: Literal["free", "beats"] = "free"
    loop_beats: float = Field(16.0, gt=0.0, le=4096.0, description="timing beats: clip length")
    jump: Literal["none", "beat", "bar"] = "none"
    reseed: Literal["none", "beat", "bar", "phrase"] = Field(
        "bar",
        description="continuation: start again from a window of its footage on every "
        "beat, bar or phrase (none: only on the reseed trigger)",
    )

    @model_validator(mode="after")
    def _placed(self) -> "LayerSpec":
        if self.source != "camera" and not self.path:
            raise ValueError(f"a {self.source} layer needs a path")
        return self


class DreamSpec(_Strict):
    """The live dream effect (seed 004's DeepDream on the generator's stream): a few
    ascent steps per frame at the internal size, after the video layers and before the
    other effects. Its amount is the ``fx.dream`` parameter (0: off, no cost), which
    routes and MIDI can push on the beat."""

    net: str = Field(description="the network: a latentvj DCGAN checkpoint or a StyleGAN "
                     "snapshot .pkl (their discriminators), torchvision's vgg16 / googlenet / inception_v3 weights, "
                     "or one of those names (the torch hub cache); relative paths: to the "
                     "preset")  # fmt: skip
    layers: list[str] = Field(default_factory=list, description="empty: the last layer")
    layer_loop: Literal["none", "frame", "beat"] = Field(
        "none", description="one layer per frame or per beat, up the list and back"
    )
    octaves: int = Field(1, ge=1, le=4)
    octave_scale: float = Field(1.4, ge=1.0, le=4.0)
    iterations: int = Field(2, ge=1, le=10)
    jitter: int = Field(8, ge=0, le=64)
    step_size: float = Field(1.5, gt=0.0, le=10.0)


class Patch(_Strict):
    """Everything a preset holds. Frames are a pure function of (patch, params, analysis, t)."""

    schema_version: int = SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1)
    beats_per_bar: int = Field(4, ge=1, le=16)
    generator: GeneratorSpec = Field(default_factory=GeneratorSpec)
    motion: MotionSpec = Field(default_factory=MotionSpec)
    effects: EffectsSpec = Field(default_factory=EffectsSpec)
    layers: list[LayerSpec] = Field(default_factory=list, max_length=MAX_LAYERS)
    dream: DreamSpec | None = None
    params: dict[str, float] = Field(default_factory=dict)
    routes: list[ModRoute] = Field(default_factory=list)
    midi: list[dict[str, Any]] = Field(
        default_factory=list,
        description="controller bindings (as in a controller map) that replace the map's "
        "bindings of the same controls while this preset plays",
    )


def check_against_registry(patch: Patch, registry: ParamRegistry) -> None:
    """Raise ValueError naming ``params.<id>`` or ``routes[i].target`` for unknown ids."""
    registry.validate_values(patch.params, "params")
    for i, route in enumerate(patch.routes):
        if route.target not in registry:
            raise ValueError(f"routes[{i}].target: unknown parameter {route.target!r}")
