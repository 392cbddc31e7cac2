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
    ParamSpec("fx.feedback.rotate", "Feedback rotate", -20.0, 20.0, 0.0, unit="deg",
              section="Feedback"),
    ParamSpec("fx.kaleido.rotate", "Kaleido rotate", 0.0, 360.0, 0.0, unit="deg",
              section="Geometry"),
    ParamSpec("fx.hue.shift", "Hue", 0.0, 360.0, 0.0, unit="deg", section="Colour"),
    ParamSpec("fx.saturation", "Saturation", 0.0, 2.0, 1.0, section="Colour"),
    ParamSpec("fx.brightness", "Brightness", 0.0, 2.0, 1.0, section="Colour"),
    ParamSpec("fx.flash", "Flash", 0.0, 1.0, 0.0, section="Colour"),
)


def build_registry() -> ParamRegistry:
    """The registry of all engine parameters (the composition root builds it once)."""
    return ParamRegistry(ENGINE_PARAMS)
