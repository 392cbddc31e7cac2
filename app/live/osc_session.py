"""OSC in a live session: messages from a tablet or another app become the same actions
MIDI and stdin produce (parameters through the store, triggers and the performer's words
through the command language), and a sender thread streams the beat clock and the audio
analysis out, each beat sent when the pictures' beat is (the latency compensation's
lookahead), plus the playing preset and parameter feedback for faders that follow."""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

from app.core.errors import UserError
from app.osc.addresses import ROOT, OscProblem, route
from app.osc.io import OscIn, OscOut, parse_endpoint

if TYPE_CHECKING:
    from .engine import LiveEngine

PHRASE_BARS = 4
EARLY_S = 0.0005  # the sender wakes this long past a predicted beat (the crossing is then seen)


class LiveOsc:
    """OSC in (``--osc-in``) and out (``--osc-out``, any number of targets) of one live
    engine; both endpoints are checked when it is built (UserError naming the flag)."""

    def __init__(self, engine: LiveEngine, listen: str | None, targets: list[str],
                 rate_hz: float) -> None:  # fmt: skip
        from app.midi.mapping import TRIGGERS

        self.engine, self.triggers = engine, TRIGGERS
        self.listen = parse_endpoint(listen, "--osc-in") if listen else None
        self.targets = [parse_endpoint(t, "--osc-out") for t in targets]
        if rate_hz > engine.options.fps:
            raise UserError(
                f"--osc-rate {rate_hz:g}: at most the frame rate ({engine.options.fps:g})"
            )
        self.rate_hz = rate_hz
        self.receiver: OscIn | None = None
        self.sender: OscOut | None = None
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

    # -- status -------------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        """(messages applied, packets and messages dropped) for the status line."""
        if self.receiver is None:
            return 0, 0
        return self.receiver.counts.messages, self.receiver.counts.dropped

    def error(self) -> str | None:
        return self.receiver.error if self.receiver is not None else None
