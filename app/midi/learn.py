"""MIDI learn: arm a parameter (or trigger), move a control, and it is bound — into temporary
bindings that play at once and are then committed to the map or cancelled (Mixxx's model).

Pure logic. A CC below 32 followed by its +32 partner while armed on the same target is
learned as one 14-bit control. Learned controls replace any earlier binding of the same
control; a target can be bound to several controls.
"""

from __future__ import annotations

from pydantic import ValidationError

from app.core.errors import validation_message
from app.core.params import ParamRegistry

from .mapping import TRIGGER_PREFIX, TRIGGERS, Binding, ControllerMap, device_name
from .messages import MidiMessage


def _same_control(a: Binding, b: Binding) -> bool:
    return (a.device, a.channel, a.control, a.number) == (b.device, b.channel, b.control, b.number)


class LearnSession:
    """Temporary bindings on top of ``base``; ``preview()`` is the map to play meanwhile."""

    def __init__(self, base: ControllerMap, registry: ParamRegistry) -> None:
        self.base = base
        self.registry = registry
        self.pending: list[Binding] = []
        self.removed: list[Binding] = []
        self.armed: str | None = None
        self.argument = ""  # the armed trigger's argument
        self._last: Binding | None = None

    def arm(self, target: str, argument: str = "") -> None:
        """Wait for a control for ``target`` (a parameter id or ``trigger:NAME``, with its
        ``argument``: a preset, a launcher cell, a window action). Raises ValueError naming
        an unknown target or a bad argument."""
        name = target.removeprefix(TRIGGER_PREFIX)
        if target.startswith(TRIGGER_PREFIX) and name not in TRIGGERS:
            raise ValueError(f"unknown trigger {name!r}")
        if not target.startswith(TRIGGER_PREFIX) and target not in self.registry:
            raise ValueError(f"unknown parameter {target!r}")
        try:  # the binding it will make must be a valid one
            Binding(control="note", target=target, argument=argument)
        except ValidationError as exc:
            raise ValueError(validation_message(exc)) from None
        self.armed, self.argument = target, argument

    def offer(self, port: str, message: MidiMessage) -> Binding | None:
        """A message while armed: the binding it makes (then disarmed), else None."""
        if self.armed is None:
            # the LSB of a 14-bit control arriving right after its MSB was learned
            last = self._last
            if (
                last is not None
                and last.control == "cc"
                and message.kind == "cc"
                and last.number < 32
                and message.number == last.number + 32
                and message.channel == (last.channel or 0) - 1
                and last.device == device_name(port)
            ):
                upgraded = last.model_copy(update={"control": "cc14"})
                self.pending[self.pending.index(last)] = upgraded
                self._last = None
                return upgraded
            return None
        if message.kind == "cc":
            control = "cc"
        elif message.kind == "note_on":
            control = "note"
        elif message.kind == "program":
            control = "program"
        else:
            return None
        target = self.armed
        button = (
            "momentary" if control == "note" and not target.startswith(TRIGGER_PREFIX) else "none"
        )
        channel = None if message.channel is None else message.channel + 1
        binding = Binding(
            device=device_name(port),
            channel=channel,
            control=control,
            number=message.number,
            target=target,
            button=button,
            argument=self.argument,
        )
        self.pending = [b for b in self.pending if not _same_control(b, binding)] + [binding]
        self.armed = None
        self._last = binding
        return binding

    def unbind(self, target: str, argument: str | None = None) -> None:
        """Remove every binding of ``target`` (with ``argument``, only those with it),
        pending and, on commit, from the map."""

        def gone(b: Binding) -> bool:
            return b.target == target and argument in (None, b.argument)

        self.pending = [b for b in self.pending if not gone(b)]
        self.removed += [b for b in self.base.bindings if gone(b)]

    def preview(self) -> ControllerMap:
        kept = [
            b
            for b in self.base.bindings
            if b not in self.removed and not any(_same_control(b, p) for p in self.pending)
        ]
        return self.base.model_copy(update={"bindings": kept + self.pending})

    def commit(self) -> ControllerMap:
        """The map with the learned bindings; the session starts over from it."""
        committed = self.preview()
        self.base, self.pending, self.removed, self.armed = committed, [], [], None
        return committed

    def cancel(self) -> ControllerMap:
        """Drop the temporary bindings; the map as it was."""
        self.pending, self.removed, self.armed = [], [], None
        return self.base
