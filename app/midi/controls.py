"""From decoded MIDI messages to parameter values and triggers, through a controller map.

Pure logic (no ports, no threads of its own): the MIDI input thread calls ``handle`` with
each message; parameter values go straight into the thread-safe ParamStore (the render
thread reads them at its next frame), triggers go to ``on_trigger``.

Controls:
- absolute 7-bit CC, and 14-bit CC (MSB n, LSB n+32: the value is set when the LSB
  arrives; a controller that never sends LSBs still works at 7 bits);
- relative encoders in two's complement (1..63 up, 127..65 down), binary offset (64 = no
  move) and sign-magnitude (bit 6 = down);
- buttons (CC or note) momentary (press = max, release = min) or toggle; notes without a
  button mode set the parameter from their velocity;
- soft takeover: an absolute control only takes a parameter over once it has reached its
  value (within PICKUP) or moved across it — unless the parameter still holds the value this
  control last gave it, so fast deliberate moves of a control that owns its parameter pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.curves import shape
from app.core.params import ParamStore

from .mapping import Binding, ControllerMap
from .messages import MidiMessage

PICKUP = 3.0 / 127.0  # soft takeover: this close (in control travel) counts as picked up


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    argument: str = ""
    velocity: int = 127


@dataclass
class _ControlState:
    position: float | None = None  # last control position, 0..1 (None: never seen)
    applied: float | None = None  # the parameter value this control last set
    msb: int = 0
    lsb_seen: bool = False
    toggled: bool = False


def decode_relative(value: int, encoding: str) -> int:
    """Steps moved by a relative encoder's message (positive = clockwise)."""
    if encoding == "twos_complement":
        return value - 128 if value >= 64 else value
    if encoding == "binary_offset":
        return value - 64
    if encoding == "sign_magnitude":
        return -(value & 0x3F) if value & 0x40 else value & 0x3F
    raise ValueError(f"not a relative encoding: {encoding!r}")


@dataclass
class ControlRouter:
    """Applies a controller map to messages from any number of ports."""

    controller_map: ControllerMap
    store: ParamStore
    on_trigger: Callable[[Trigger], None] = lambda trigger: None
    _state: dict[int, _ControlState] = field(default_factory=dict)

    def set_map(self, controller_map: ControllerMap) -> None:
        """Swap the map (learn commit, map edit); control states start over."""
        self.controller_map = controller_map
        self._state = {}

    def matches(self, binding: Binding, port: str, message: MidiMessage) -> bool:
        if binding.device and binding.device.lower() not in port.lower():
            return False
        if binding.channel is not None and message.channel != binding.channel - 1:
            return False
        kind = message.kind
        if binding.control == "cc":
            return kind == "cc" and message.number == binding.number
        if binding.control == "cc14":
            return kind == "cc" and message.number in (binding.number, binding.number + 32)
        if binding.control == "note":
            return kind in ("note_on", "note_off") and message.number == binding.number
        return kind == "program" and message.number == binding.number

    def handle(self, port: str, message: MidiMessage) -> bool:
        """Apply ``message`` from ``port``; True when some binding used it."""
        used = False
        for i, binding in enumerate(self.controller_map.bindings):
            if self.matches(binding, port, message):
                used = True
                self._apply(binding, self._state.setdefault(i, _ControlState()), message)
        return used

    # -- one binding ------------------------------------------------------------------------
    def _apply(self, b: Binding, s: _ControlState, m: MidiMessage) -> None:
        if b.is_trigger:
            pressed = (
                m.kind == "program"
                or (m.kind == "note_on")
                or (m.kind == "cc" and m.value >= 64 and (s.position or 0.0) < 0.5)
            )
            if m.kind == "cc":
                s.position = m.value / 127.0
            if pressed:
                self.on_trigger(Trigger(b.trigger, b.argument, m.value or 127))
            return
        if b.button != "none":
            down = (m.kind == "note_on") or (m.kind == "cc" and m.value >= 64)
            if b.button == "momentary":
                self._set(b, s, 1.0 if down else 0.0, takeover=False)
            elif down:
                s.toggled = not s.toggled
                self._set(b, s, 1.0 if s.toggled else 0.0, takeover=False)
            return
        if b.control == "note":
            if m.kind == "note_on":
                self._set(b, s, m.value / 127.0, takeover=False)
            return
        if b.control == "program":
            self._set(b, s, 1.0, takeover=False)
            return
        if b.encoding != "absolute":
            steps = decode_relative(m.value, b.encoding)
            self._nudge(b, steps * b.sensitivity / 127.0)
            return
        if b.control == "cc14":
            if m.number == b.number:  # MSB
                s.msb = m.value
                if s.lsb_seen:
                    return  # wait for the LSB that completes this value
                position = m.value / 127.0
            else:
                s.lsb_seen = True
                position = ((s.msb << 7) | m.value) / 16383.0
        else:
            position = m.value / 127.0
        self._set(b, s, position, takeover=b.soft_takeover)

    def _range(self, b: Binding) -> tuple[float, float]:
        spec = self.store.registry[b.target]
        lo = spec.min if b.min is None else b.min
        hi = spec.max if b.max is None else b.max
        return (hi, lo) if b.invert else (lo, hi)

    def _value_at(self, b: Binding, position: float) -> float:
        lo, hi = self._range(b)
        return lo + (hi - lo) * float(shape(min(1.0, max(0.0, position)), b.curve))

    def _position_of(self, b: Binding, value: float) -> float:
        """Where on the control's travel ``value`` sits (inverse of _value_at, by bisection:
        every curve is monotone)."""
        lo_p, hi_p = 0.0, 1.0
        rising = self._value_at(b, 1.0) >= self._value_at(b, 0.0)
        for _ in range(30):
            mid = 0.5 * (lo_p + hi_p)
            if (self._value_at(b, mid) < value) == rising:
                lo_p = mid
            else:
                hi_p = mid
        return 0.5 * (lo_p + hi_p)

    def _set(self, b: Binding, s: _ControlState, position: float, takeover: bool) -> None:
        previous, s.position = s.position, position
        current = self.store.get(b.target)
        if takeover and not (s.applied is not None and abs(current - s.applied) < 1e-9):
            # the parameter is not (or no longer) this control's: pick it up first
            target = self._position_of(b, current)
            crossed = previous is not None and (previous - target) * (position - target) <= 0
            if abs(position - target) > PICKUP and not crossed:
                return
        s.applied = self.store.set(b.target, self._value_at(b, position), source="midi")

    def _nudge(self, b: Binding, delta: float) -> None:
        """Relative encoders move the parameter from wherever it is: no takeover needed."""
        position = self._position_of(b, self.store.get(b.target)) + delta
        self.store.set(b.target, self._value_at(b, position), source="midi")
