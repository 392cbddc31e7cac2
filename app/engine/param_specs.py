"""Every parameter the engine exposes, declared once. ids are stable: rename = migration."""

from __future__ import annotations

from app.core.params import ParamRegistry, ParamSpec

ENGINE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("motion.oscillate.amount", "Oscillation", 0.0, 1.0, 1.0, section="Motion"),
    ParamSpec("motion.flicker.amount", "Flicker", 0.0, 1.0, 1.0, section="Motion"),
    ParamSpec("motion.push", "Push", 0.0, 1.0, 0.0, section="Motion"),
    ParamSpec("motion.truncation", "Truncation", 0.1, 2.0, 1.0, section="Motion"),
    ParamSpec("fx.feedback.amount", "Feedback", 0.0, 0.98, 0.0, section="Feedback"),
    ParamSpec("fx.feedback.zoom", "Feedback zoom", 0.8, 1.25, 1.02, section="Feedback"),
    ParamSpec(
        "fx.feedback.rotate", "Feedback rotate", -20.0, 20.0, 0.0, unit="deg", section="Feedback"
    ),
    ParamSpec(
        "fx.kaleido.rotate", "Kaleido rotate", 0.0, 360.0, 0.0, unit="deg", section="Geometry"
    ),
    ParamSpec("fx.hue.shift", "Hue", 0.0, 360.0, 0.0, unit="deg", section="Colour"),
    ParamSpec("fx.saturation", "Saturation", 0.0, 2.0, 1.0, section="Colour"),
    ParamSpec("fx.brightness", "Brightness", 0.0, 2.0, 1.0, section="Colour"),
    ParamSpec("fx.flash", "Flash", 0.0, 1.0, 0.0, section="Colour"),
    ParamSpec("fx.dream", "Dream (a preset's dream net)", 0.0, 1.0, 1.0, section="Dream"),
    ParamSpec("out.master", "Master", 0.0, 1.0, 1.0, section="Output"),
)

# Each video layer's mix (app/engine/layers.py): how much of it, the blend mode's index in
# BLEND_MODES (mix, add, screen, multiply, difference, luma key), the luma key's threshold,
# and the noise a continuation (a video generator's layer) feeds back with its frames.
LAYER_PARAMS: tuple[ParamSpec, ...] = tuple(
    spec
    for n in (1, 2)
    for spec in (
        ParamSpec(f"layer{n}.opacity", f"Layer {n} opacity", 0.0, 1.0, 1.0, section="Layers"),
        ParamSpec(f"layer{n}.mode", f"Layer {n} blend (0 mix .. 5 key)", 0.0, 5.0, 0.0,
                  section="Layers"),
        ParamSpec(f"layer{n}.key", f"Layer {n} key threshold", 0.0, 1.0, 0.2,
                  section="Layers"),
        ParamSpec(f"layer{n}.noise", f"Layer {n} continuation noise", 0.0, 1.0, 0.0,
                  section="Layers"),
    )
)  # fmt: skip

# Controls of the networks people bring (StyleGAN's W space, BigGAN's truncation and class
# scale); a generator without them ignores them. See generators/stylegan.py and biggan.py.
NETWORK_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("gan.truncation", "Truncation ψ", 0.0, 1.5, 0.7, section="Network"),
    ParamSpec(
        "gan.truncation.cutoff", "ψ cutoff (layers, 0 all)", 0.0, 32.0, 0.0, section="Network"
    ),
    ParamSpec("gan.mix.coarse", "Mix B: coarse", 0.0, 1.0, 0.0, section="Network"),
    ParamSpec("gan.mix.middle", "Mix B: middle", 0.0, 1.0, 0.0, section="Network"),
    ParamSpec("gan.mix.fine", "Mix B: fine", 0.0, 1.0, 0.0, section="Network"),
    ParamSpec("gan.noise", "Noise strength", 0.0, 2.0, 1.0, section="Network"),
    ParamSpec(
        "gan.noise.mode", "Noise (0 const, 1 random, 2 off)", 0.0, 2.0, 0.0, section="Network"
    ),
    ParamSpec("gan.translate.x", "Input move x", -1.0, 1.0, 0.0, section="Network"),
    ParamSpec("gan.translate.y", "Input move y", -1.0, 1.0, 0.0, section="Network"),
    ParamSpec("gan.rotate", "Input rotate", -180.0, 180.0, 0.0, unit="deg", section="Network"),
    ParamSpec("gan.class.scale", "Class scale", 0.0, 4.0, 1.0, section="Network"),
)


def build_registry() -> ParamRegistry:
    """The registry of all engine parameters (the composition root builds it once)."""
    return ParamRegistry(ENGINE_PARAMS + LAYER_PARAMS + NETWORK_PARAMS)
