"""latentvj's OSC address tree: what each message asks for, as the same actions MIDI and
stdin produce (a parameter value, a trigger, a performer's command word), checked here so
nothing a packet carries reaches the engine unchecked. Pure logic: the live session
applies the actions; ``tree`` documents every address (the README's table comes from it).

    /latentvj/param/<id> f          the parameter's own units (clamped to its range)
    /latentvj/param/<id>/norm f     0-1 over the parameter's range
    /latentvj/trigger/<name> [arg]  a trigger (as a MIDI trigger: flash, freeze, cue 3, ...)
    /latentvj/preset/load s         a preset, landing on the next bar (the launcher's fade)
    /latentvj/preset/cue i          launcher cell 1-32 of the page shown
    /latentvj/tempo/<word> [f]      tap, resync, double, halve, lock, unlock, autobar,
                                    audio, midi; bpm f; nudge f (beats)
    /latentvj/transport/play|stop   the transport
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.core.params import ParamRegistry

ROOT = "/latentvj"
TEMPO_WORDS = {"tap": "tap", "resync": "resync", "double": "x2", "halve": "/2",
               "lock": "lock", "unlock": "unlock", "autobar": "autobar", "audio": "audio",
               "midi": "midi"}  # fmt: skip
MIN_BPM, MAX_BPM = 20.0, 400.0
MAX_NUDGE = 1.0


class OscProblem(ValueError):
    """Why a message is not applied: ``kind`` is ``unknown`` (no such address) or
    ``arguments`` (wrong count, type, NaN or out of bounds where clamping makes no
    sense)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


@dataclass(frozen=True)
class OscAction:
    """``param`` (``target`` an id, ``value`` native units), ``trigger`` (``target`` a
    trigger name, ``argument``) or ``command`` (``target`` the performer's words)."""

    kind: str
    target: str
    value: float = 0.0
    argument: str = ""
    clamped: bool = False


def _number(args: list[Any], address: str) -> float:
    if len(args) != 1 or isinstance(args[0], (str, bytes)) or args[0] is None:
        raise OscProblem("arguments", f"{address}: takes one number")
    try:
        value = float(args[0])
    except (TypeError, ValueError):
        raise OscProblem("arguments", f"{address}: takes one number") from None
    if not math.isfinite(value):
        raise OscProblem("arguments", f"{address}: {value} is not a finite number")
    return value


def _none(args: list[Any], address: str) -> None:
    if args:
        raise OscProblem("arguments", f"{address}: takes no arguments")


def route(
    address: str, args: list[Any], registry: ParamRegistry, triggers: tuple[str, ...]
) -> OscAction:
    """The action ``address`` with ``args`` asks for; OscProblem saying why not."""
    if not address.startswith(ROOT + "/"):
        raise OscProblem("unknown", f"{address}: not a latentvj address")
    head, _, rest = address[len(ROOT) + 1 :].partition("/")
    if head == "param":
        pid, norm = (rest[: -len("/norm")], True) if rest.endswith("/norm") else (rest, False)
        if pid not in registry:
            raise OscProblem("unknown", f"{address}: no parameter {pid!r}")
        spec, value = registry[pid], _number(args, address)
        if norm:
            native = spec.min + min(max(value, 0.0), 1.0) * (spec.max - spec.min)
            return OscAction("param", pid, native, clamped=not 0.0 <= value <= 1.0)
        native = min(max(value, spec.min), spec.max)
        return OscAction("param", pid, native, clamped=native != value)
    if head == "trigger":
        if rest not in triggers or rest in ("preset", "cue"):
            raise OscProblem("unknown", f"{address}: no trigger {rest!r}")
        if len(args) > 1:
            raise OscProblem("arguments", f"{address}: takes at most one argument")
        return OscAction("trigger", rest, argument=str(args[0]) if args else "")
    if head == "preset" and rest == "load":
        if len(args) != 1 or not isinstance(args[0], str) or not args[0].strip():
            raise OscProblem("arguments", f"{address}: takes a preset name")
        return OscAction("trigger", "preset", argument=args[0].strip())
    if head == "preset" and rest == "cue":
        cell = _number(args, address)
        if cell != int(cell) or not 1 <= cell <= 32:
            raise OscProblem("arguments", f"{address}: takes a cell number 1-32")
        return OscAction("trigger", "cue", argument=str(int(cell)))
    if head == "tempo" and rest in TEMPO_WORDS:
        _none(args, address)
        return OscAction("command", TEMPO_WORDS[rest])
    if head == "tempo" and rest == "bpm":
        bpm = _number(args, address)
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise OscProblem("arguments", f"{address}: {bpm:g} is not {MIN_BPM:g}-{MAX_BPM:g}")
        return OscAction("command", f"bpm {bpm:.4f}")
    if head == "tempo" and rest == "nudge":
        beats = _number(args, address)
        if abs(beats) > MAX_NUDGE:
            raise OscProblem("arguments", f"{address}: nudge at most {MAX_NUDGE:g} beat")
        return OscAction("command", f"nudge {beats:.6f}")
    if head == "transport" and rest in ("play", "stop"):
        _none(args, address)
        return OscAction("command", rest)
    raise OscProblem("unknown", f"{address}: not a latentvj address")


def tree(registry: ParamRegistry, triggers: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Every address: (address, arguments, what it does), parameters from the registry."""
    rows = [(f"{ROOT}/param/{s.id}", "f", f"{s.label}: {s.min:g} to {s.max:g}"
             f"{' ' + s.unit if s.unit else ''}") for s in registry]  # fmt: skip
    rows.append((f"{ROOT}/param/<id>/norm", "f", "any parameter, 0-1 over its range"))
    rows += [(f"{ROOT}/trigger/{t}", "[arg]", f"the {t} trigger, as from MIDI")
             for t in triggers if t not in ("preset", "cue")]  # fmt: skip
    rows += [
        (f"{ROOT}/preset/load", "s", "a preset by name, landing on the next bar"),
        (f"{ROOT}/preset/cue", "i", "launcher cell 1-32 of the page shown"),
        *((f"{ROOT}/tempo/{w}", "", f"tempo: {c}") for w, c in TEMPO_WORDS.items()),
        (f"{ROOT}/tempo/bpm", "f", f"manual tempo, {MIN_BPM:g}-{MAX_BPM:g}"),
        (f"{ROOT}/tempo/nudge", "f", f"shift the beat by up to {MAX_NUDGE:g} beat"),
        (f"{ROOT}/transport/play", "", "play"),
        (f"{ROOT}/transport/stop", "", "stop (black output)"),
    ]
    return rows
