"""OSC in a live session: messages from a tablet or another app become the same actions
MIDI and stdin produce (parameters through the store, triggers and the performer's words
through the command language), and a sender thread streams the beat clock and the audio
analysis out, each beat sent when the pictures' beat is (the latency compensation's
lookahead), plus the playing preset and parameter feedback for faders that follow."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.errors import UserError
from app.osc.addresses import ROOT, OscProblem, route
from app.osc.io import OscIn, OscOut, parse_endpoint

if TYPE_CHECKING:
    from .engine import LiveEngine

PHRASE_BARS = 4
DEFAULT_RATE_HZ = 30.0  # OSC out bundles a second unless --osc-rate says
PICKUP = 0.02  # a fader within this share of the range of the parameter picks it up


@dataclass(frozen=True)
class OscState:
    """What the OSC tab shows: where it listens ("" when not), where it sends, the
    counts, the target being learned, and the learned addresses (address, target)."""

    listening: str
    targets: list[str]
    messages: int
    dropped: int
    learning: str | None
    bindings: list[tuple[str, str]]


def _unit(value: Any, address: str) -> float:
    """A surface's argument as a number; OscProblem when it is none (or not finite)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise OscProblem("arguments", f"{address}: takes a number")
    number = float(value)
    if not math.isfinite(number):
        raise OscProblem("arguments", f"{address}: {number} is not a finite number")
    return number


EARLY_S = 0.0005  # the sender wakes this long past a predicted beat (the crossing is then seen)


class LiveOsc:
    """OSC in (``--osc-in``) and out (``--osc-out``, any number of targets) of one live
    engine; both endpoints are checked when it is built (UserError naming the flag)."""

    def __init__(self, engine: LiveEngine, listen: str | None, targets: list[str],
                 rate_hz: float | None) -> None:  # fmt: skip
        from app.midi.mapping import TRIGGERS

        self.engine, self.triggers = engine, TRIGGERS
        self.listen = parse_endpoint(listen, "--osc-in") if listen else None
        self.targets = [parse_endpoint(t, "--osc-out") for t in targets]
        if rate_hz is None:  # not chosen: 30 a second, or every frame when fewer
            rate_hz = min(DEFAULT_RATE_HZ, engine.options.fps)
        elif rate_hz > engine.options.fps:
            raise UserError(
                f"--osc-rate {rate_hz:g}: at most the frame rate ({engine.options.fps:g})"
            )
        self.rate_hz = rate_hz
        self.receiver: OscIn | None = None
        self.sender: OscOut | None = None
        # a surface's own addresses (TouchOSC's /1/fader1 ...) learned or from the map file
        self.bindings: dict[str, Any] = {}
        self.armed: tuple[str, str] | None = None  # (target, argument) being learned
        self._pickup: dict[str, tuple[float, float]] = {}
        self._feedback: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self.listen is not None or bool(self.targets)

    def start(self) -> None:
        if self.listen is not None:
            self.receiver = OscIn(*self.listen, self._apply).start()
        if self.targets:
            self.sender = OscOut(self.targets)
            self.engine.store.add_listener(self._param_changed)
            self._thread = threading.Thread(target=self._send_loop, name="osc-out", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        for part in (self.receiver, self.sender):
            if part is not None:
                part.stop() if isinstance(part, OscIn) else part.close()

    # -- in -----------------------------------------------------------------------------------
    def _apply(self, address: str, args: list[Any]) -> bool:
        """One checked message applied (the listener's thread); True when clamped."""
        from app.midi.controls import Trigger

        if not address.startswith(ROOT + "/"):  # a surface's own address
            armed = self.armed
            if armed is not None:
                self._bind(address, *armed)
                return False
            if address in self.bindings:
                return self._apply_binding(self.bindings[address], args)
        action = route(address, args, self.engine.registry, self.triggers)
        if action.kind == "param":
            self.engine.store.set(action.target, action.value, source="osc")
        elif action.kind == "trigger":
            self.engine.commands.on_trigger(Trigger(action.target, action.argument))
        else:
            try:
                self.engine.commands.run(action.target)
            except ValueError as exc:  # a word the session refuses now (MIDI learn off)
                raise OscProblem("arguments", str(exc)) from None
        return action.clamped

    # -- a surface's addresses: learning and bindings -----------------------------------------
    def load_bindings(self, bindings: list) -> None:
        """The OSC bindings of the controller map file."""
        self.bindings = {b.address: b for b in bindings}

    def arm(self, target: str, argument: str = "") -> None:
        """Bind the next unknown address that arrives to ``target`` (a parameter or
        ``trigger:NAME`` with its ``argument``). ValueError naming what is wrong."""
        from app.midi.mapping import TRIGGER_PREFIX, OscBinding

        if self.receiver is None:
            raise ValueError("OSC learn needs an OSC input (--osc-in PORT)")
        name = target.removeprefix(TRIGGER_PREFIX)
        if target.startswith(TRIGGER_PREFIX) and name not in self.triggers:
            raise ValueError(f"unknown trigger {name!r}")
        if not target.startswith(TRIGGER_PREFIX) and target not in self.engine.registry:
            raise ValueError(f"unknown parameter {target!r}")
        OscBinding(address="/probe", target=target, argument=argument)
        self.armed = (target, argument)

    def cancel(self) -> None:
        self.armed = None

    def unbind(self, address: str) -> None:
        self.bindings.pop(address, None)

    def _bind(self, address: str, target: str, argument: str) -> None:
        from app.midi.mapping import OscBinding

        self.bindings = {**self.bindings, address: OscBinding(address=address, target=target,
                                                              argument=argument)}  # fmt: skip
        self.armed = None
        self.engine.notify([f"OSC learn: {address} -> {target} {argument}".rstrip()], False)

    def _apply_binding(self, binding, args: list[Any]) -> bool:
        """A learned address: a fader's 0-1 over the parameter's range, or a press."""
        from app.midi.controls import Trigger
        from app.midi.mapping import TRIGGER_PREFIX

        value = 1.0 if not args else _unit(args[0], binding.address)
        if binding.is_trigger:
            if value > 0.5:
                self.engine.commands.on_trigger(
                    Trigger(binding.target.removeprefix(TRIGGER_PREFIX), binding.argument)
                )
            return False
        spec = self.engine.registry[binding.target]
        low = spec.min if binding.min is None else binding.min
        high = spec.max if binding.max is None else binding.max
        clamped = min(max(value, 0.0), 1.0)
        native = low + clamped * (high - low)
        if self._picked_up(binding.address, native, binding.target, high - low):
            self.engine.store.set(binding.target, native, source="osc")
        return clamped != value

    def _picked_up(self, address: str, native: float, target: str, span: float) -> bool:
        """Soft takeover, as for MIDI knobs: a fader whose position differs from the
        parameter (after a preset change, or a move from elsewhere) does nothing until it
        reaches the value or moves across it; one that owns the parameter passes every
        move."""
        current = self.engine.store.get(target)
        last = self._pickup.get(address)  # (last position, the value it last applied)
        near = abs(native - current) <= PICKUP * span
        owned = last is not None and abs(last[1] - current) <= 1e-9
        crossed = last is not None and min(last[0], native) <= current <= max(last[0], native)
        taken = near or owned or crossed
        self._pickup[address] = (native, native if taken else math.nan)
        return taken

    # -- out ----------------------------------------------------------------------------------
    def _param_changed(self, param_id: str, value: float, source: str) -> None:
        if source != "osc":  # a tablet's own move is not echoed back to it
            with self._lock:
                self._feedback[param_id] = value

    def _send_loop(self) -> None:
        last_beat: int | None = None
        last_preset = ""
        period = 1.0 / self.rate_hz
        while not self._stop.is_set():
            clock = self._clock()
            wait = period
            if clock is not None:
                beats, bpm, bar_phase, per_bar, frame = clock
                messages = self._features(frame, bpm, beats)
                beat = math.floor(beats)
                if last_beat is not None and beat > last_beat:
                    messages += self._beat_messages(beat, bar_phase, per_bar)
                last_beat = beat
                if bpm > 0:  # wake just past the next beat, or at the rate
                    wait = min(period, (beat + 1 - beats) * 60.0 / bpm + EARLY_S)
                name = self.engine.patch.name
                if name != last_preset:
                    messages.append((f"{ROOT}/preset", [name]))
                    last_preset = name
                messages += self._take_feedback()
                self.sender.send(messages)
            self._stop.wait(max(wait, 0.0))

    def _clock(self):
        """(beats, bpm, bar phase, beats per bar, features) now, on the pictures' clock:
        the newest analysis moved on by its age (its beats already lead by the lookahead)."""
        from app.engine.render_worker import advance

        analysis = self.engine.analysis
        if analysis is None:
            return None
        _, timed = analysis.latest.get()
        if timed is None:
            return None
        frame = advance(timed.frame, time.monotonic() - timed.wall_s)
        return frame.beats, frame.bpm, frame.bar_phase, frame.beats_per_bar, frame

    @staticmethod
    def _features(frame, bpm: float, beats: float) -> list[tuple[str, list[Any]]]:
        return [(f"{ROOT}/bpm", [float(bpm)]), (f"{ROOT}/beat_phase", [float(beats % 1.0)]),
                (f"{ROOT}/onset", [float(frame.onset)]), (f"{ROOT}/rms", [float(frame.rms)]),
                (f"{ROOT}/bands", [float(b) for b in frame.bands])]  # fmt: skip

    @staticmethod
    def _beat_messages(beat: int, bar_phase: float, per_bar: int) -> list[tuple[str, list]]:
        index = int(round(bar_phase * per_bar)) % per_bar
        messages = [(f"{ROOT}/beat", [index, beat])]
        if index == 0:
            bar = beat // per_bar
            messages.append((f"{ROOT}/bar", [bar]))
            if bar % PHRASE_BARS == 0:
                messages.append((f"{ROOT}/phrase", [bar // PHRASE_BARS]))
        return messages

    def _take_feedback(self) -> list[tuple[str, list[Any]]]:
        with self._lock:
            changed, self._feedback = self._feedback, {}
        return [(f"{ROOT}/param/{pid}", [float(value)]) for pid, value in changed.items()]

    # -- the window's OSC tab ---------------------------------------------------------------
    def set_endpoints(self, listen: str | None, targets: list[str]) -> None:
        """Listen on another port (or none) and send to other targets while the show goes
        on; a bad or busy endpoint raises UserError naming it and changes nothing."""
        new_listen = parse_endpoint(listen, "--osc-in") if listen else None
        new_targets = [parse_endpoint(t, "--osc-out") for t in targets]
        receiver = self.receiver
        if new_listen != self.listen:
            fresh = OscIn(*new_listen, self._apply) if new_listen else None  # may raise
            if receiver is not None:
                receiver.stop()
            self.receiver = fresh.start() if fresh else None
            self.listen = new_listen
        self.targets = new_targets
        if self.sender is not None:
            self.sender.targets = new_targets
        elif new_targets:
            self.sender = OscOut(new_targets)
            self.engine.store.add_listener(self._param_changed)
            self._thread = threading.Thread(target=self._send_loop, name="osc-out", daemon=True)
            self._thread.start()

    def state(self) -> OscState:
        messages, dropped = self.counts()
        listening = f"{self.listen[0]}:{self.listen[1]}" if self.listen else ""
        return OscState(listening, [f"{h}:{p}" for h, p in self.targets], messages, dropped,
                        self.armed[0] if self.armed else None,
                        [(b.address, f"{b.target} {b.argument}".rstrip())
                         for b in self.bindings.values()])  # fmt: skip

    # -- status -------------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        """(messages applied, packets and messages dropped) for the status line."""
        if self.receiver is None:
            return 0, 0
        return self.receiver.counts.messages, self.receiver.counts.dropped

    def error(self) -> str | None:
        return self.receiver.error if self.receiver is not None else None
