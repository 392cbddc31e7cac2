"""Controller maps: MIDI controls bound to parameters and triggers, as data (JSON).

A map file (``app/presets/controllers/NAME.json``) is a ``schema_version``, a name and a list of
bindings. A binding says which control (device name substring, channel 1-16 or any, CC,
14-bit CC, note or program change, number) drives what: a parameter (``target`` is its id;
``min`` / ``max`` in the parameter's units, ``curve``, ``invert``, ``soft_takeover``; CCs
may be ``relative`` encoders in one of three encodings; buttons are ``momentary`` or
``toggle``) or a trigger (``trigger:NAME``, see TRIGGERS). One bad entry never loses the
rest of the map: it is reported by its position and control and skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.core.atomic import atomic_write_text
from app.core.curves import ModCurve
from app.core.errors import UserError, validate_each, validation_message
from app.core.params import ParamRegistry
from app.core.presets import SHIPPED_PRESETS_DIR

SCHEMA_VERSION = 1
CONTROLLER_MAPS_DIR = SHIPPED_PRESETS_DIR / "controllers"
Control = Literal["cc", "cc14", "note", "program"]
Encoding = Literal["absolute", "twos_complement", "binary_offset", "sign_magnitude"]
Button = Literal["none", "momentary", "toggle"]
TRIGGERS = (
    "next_keyframe",
    "previous_keyframe",
    "random_jump",
    "reseed",
    "flash",
    "tap",
    "resync",
    "double",
    "halve",
    "lock",
    "nudge_earlier",
    "nudge_later",
    "preset",
    "record",
    "freeze",
    "blackout",
    "transport",
    "cue",
    "page_next",
    "page_previous",
    "window",
)
LAUNCHER_CELLS = 32  # cells on a launcher page (trigger:cue's argument is one, from 1)
WINDOW_ACTIONS = ("output", "hud", "layout")  # trigger:window's arguments
TRIGGER_PREFIX = "trigger:"


def device_name(port: str) -> str:
    """A port's name without ALSA's client:port numbers (``nanoKONTROL2 MIDI 1 24:0``), which
    change when a device is plugged in again: what a learned binding stores."""
    return re.sub(r"\s+\d+:\d+$", "", port)


class Binding(BaseModel):
    """One control -> one parameter or trigger."""

    model_config = ConfigDict(extra="forbid")

    device: str = ""  # port name substring; "" = any port
    channel: int | None = Field(None, ge=1, le=16)  # None = any channel
    control: Control
    number: int = Field(0, ge=0, le=127)  # cc14: the MSB controller 0-31 (LSB is +32)
    target: str
    min: float | None = None  # parameter units; None = the parameter's range
    max: float | None = None
    curve: ModCurve = "linear"
    invert: bool = False
    soft_takeover: bool = True
    encoding: Encoding = "absolute"  # relative encoders send steps, not positions
    sensitivity: float = Field(1.0, gt=0.0, le=16.0)  # relative: full range in 128/s steps
    button: Button = "none"  # notes and CCs as buttons
    argument: str = ""  # trigger argument: trigger:preset's preset name,
    # trigger:cue's cell, trigger:window's action

    @model_validator(mode="after")
    def _consistent(self) -> Binding:
        if self.control == "cc14" and self.number > 31:
            raise ValueError("a 14-bit CC pairs MSB controller 0-31 with LSB +32")
        if self.encoding != "absolute" and self.control != "cc":
            raise ValueError("relative encodings apply to 'cc' controls only")
        if self.is_trigger and self.trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {self.trigger!r} (one of {', '.join(TRIGGERS)})")
        if self.is_trigger and self.trigger == "preset" and not self.argument:
            raise ValueError("trigger:preset needs an 'argument' naming the preset")
        if (
            self.is_trigger
            and self.trigger == "cue"
            and not (self.argument.isdigit() and 1 <= int(self.argument) <= LAUNCHER_CELLS)
        ):
            raise ValueError(
                f"trigger:cue needs an 'argument': the launcher cell, 1-{LAUNCHER_CELLS}"
            )
        if self.is_trigger and self.trigger == "window" and self.argument not in WINDOW_ACTIONS:
            raise ValueError(
                f"trigger:window needs an 'argument': one of {', '.join(WINDOW_ACTIONS)}"
            )
        return self

    @property
    def is_trigger(self) -> bool:
        return self.target.startswith(TRIGGER_PREFIX)

    @property
    def trigger(self) -> str:
        return self.target.removeprefix(TRIGGER_PREFIX)

    def label(self) -> str:
        """``cc 21 ch 1 -> fx.hue.shift`` (for messages and the mapping table)."""
        ch = f" ch {self.channel}" if self.channel else ""
        dev = f" on '{self.device}'" if self.device else ""
        return f"{self.control} {self.number}{ch}{dev} -> {self.target}"


class OscBinding(BaseModel):
    """One OSC address of a control surface (a tablet's fader or button, as TouchOSC or
    Open Stage Control sends it) -> a parameter (the first argument, 0-1, over the
    parameter's range or ``min``..``max``) or a trigger (fired by a press: an argument
    above 0.5, or none). Learned in the window or with ``learn-osc``."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=r"^/\S+$")
    target: str
    argument: str = ""
    min: float | None = None
    max: float | None = None

    @property
    def is_trigger(self) -> bool:
        return self.target.startswith(TRIGGER_PREFIX)


class ControllerMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    name: str
    description: str = ""
    bindings: list[Binding] = []
    osc: list[OscBinding] = []  # the OSC surfaces' addresses, beside the MIDI controls


def _entry_label(entry: object) -> str:
    if isinstance(entry, dict):
        return (
            f"{entry.get('control', '?')} {entry.get('number', '?')} -> {entry.get('target', '?')}"
        )
    return repr(entry)[:40]


def parse_map(data: object, registry: ParamRegistry, where: str) -> tuple[ControllerMap, list[str]]:
    """The map in ``data`` with every valid binding, and one line per skipped entry.
    Raises UserError (one line) only when nothing usable is there at all."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: a controller map is a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise UserError(
            f"{where}: schema_version {version!r} is not supported "
            f"(this latentvj reads {SCHEMA_VERSION})"
        )
    entries = data.get("bindings", [])
    if not isinstance(entries, list):
        raise UserError(f"{where}: 'bindings' must be a list")
    try:
        head = ControllerMap.model_validate({**data, "bindings": [], "osc": []})
    except ValidationError as exc:
        raise UserError(f"{where}: {validation_message(exc)}") from exc

    def check(binding: Binding) -> str | None:
        if binding.is_trigger:
            return None
        if binding.target not in registry:
            return f"unknown parameter {binding.target!r}"
        spec = registry[binding.target]
        if (
            binding.min is not None
            and binding.max is not None
            and not (spec.min <= binding.min <= spec.max and spec.min <= binding.max <= spec.max)
        ):
            return f"min/max outside {binding.target}'s range {spec.min:g}..{spec.max:g}"
        return None

    bindings, problems = validate_each(
        Binding,
        entries,
        lambda i, entry: f"{where}: binding {i + 1} ({_entry_label(entry)})",
        check,
        "; skipped",
    )
    head.bindings.extend(bindings)
    osc = data.get("osc", [])
    if not isinstance(osc, list):
        raise UserError(f"{where}: 'osc' must be a list")

    def check_osc(binding: OscBinding) -> str | None:
        if binding.is_trigger:
            name = binding.target.removeprefix(TRIGGER_PREFIX)
            return None if name in TRIGGERS else f"unknown trigger {name!r}"
        return None if binding.target in registry else f"unknown parameter {binding.target!r}"

    found, osc_problems = validate_each(
        OscBinding, osc, lambda i, entry: f"{where}: osc {i + 1}", check_osc, "; skipped"
    )
    head.osc.extend(found)
    problems += osc_problems
    return head, problems


def with_overrides(
    controller_map: ControllerMap, overrides: list[dict], registry: ParamRegistry, where: str
) -> tuple[ControllerMap, list[str]]:
    """A preset's own bindings on top of the controller map: each replaces the map's binding
    of the same control (device, channel, control, number); bad entries are reported and
    skipped like a map file's."""
    extra, problems = parse_map(
        {"name": controller_map.name, "bindings": overrides}, registry, where
    )

    def key(b: Binding) -> tuple:
        return (b.device, b.channel, b.control, b.number)

    replaced = {key(b) for b in extra.bindings}
    kept = [b for b in controller_map.bindings if key(b) not in replaced]
    return controller_map.model_copy(update={"bindings": kept + extra.bindings}), problems


def load_map(path: Path, registry: ParamRegistry) -> tuple[ControllerMap, list[str]]:
    """Read a map file: (map, problems). Unreadable or non-JSON files raise UserError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"controller map {path}: cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise UserError(
            f"controller map {path}: not valid JSON (line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg})"
        ) from exc
    return parse_map(data, registry, f"controller map {path}")


def save_map(controller_map: ControllerMap, path: Path) -> None:
    """Write atomically: a crash mid-save leaves the old file."""
    atomic_write_text(
        Path(path), controller_map.model_dump_json(indent=2, exclude_defaults=False) + "\n"
    )
