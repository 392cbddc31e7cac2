"""MIDI for the live engine: ports, the controller map, learn, and MIDI clock as a tempo
source, wired together on the MIDI dispatcher thread.

Parameter values go into the ParamStore (the render thread reads them at its next frame);
tempo work (MIDI clock, tempo triggers) is submitted to the analyzer thread, the tempo clock's
only writer; every trigger goes to ``on_trigger`` (the render worker's, for flash, panic and
keyframe jumps; the performance log for tempo ones). Nothing here waits on another thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from app.core.params import ParamStore
from app.core.tempo import NUDGE_BEATS, BeatObservation, TempoClock

from .clock import ClockReading, MidiClockFollower
from .controls import ControlRouter, Trigger
from .learn import LearnSession
from .mapping import ControllerMap, with_overrides
from .messages import MidiMessage
from .ports import RESCAN_S, Api, MidiInputs

TempoCommand = Callable[[TempoClock, float], None]
CLOCK_KINDS = {"clock", "start", "stop", "continue", "song_position"}
# the triggers that are tempo commands, and what each does to the clock
TEMPO_TRIGGERS: dict[str, TempoCommand] = {
    "tap": lambda c, t: c.tap(t),
    "resync": lambda c, t: c.resync(t),
    "double": lambda c, t: c.double(t),
    "halve": lambda c, t: c.halve(t),
    "lock": lambda c, t: c.set_locked(not c.locked),  # a button toggles it
    "nudge_earlier": lambda c, t: c.nudge(t, NUDGE_BEATS),
    "nudge_later": lambda c, t: c.nudge(t, -NUDGE_BEATS),
}


def apply_clock_reading(reading: ClockReading) -> TempoCommand:
    """A tempo command placing a MIDI clock reading (wall times) on the tempo clock (stream
    time): the analyzer runs it with its stream time ``t`` right after the hop it analysed
    at wall time ~now, the same mapping the render worker uses to place frames."""

    def command(clock: TempoClock, t: float) -> None:
        shift = t - time.monotonic()
        obs = reading.observation
        clock.observe(
            BeatObservation(t_s=obs.t_s + shift, bpm=obs.bpm, last_beat_s=obs.last_beat_s + shift),
            source="midi",
        )
        beat_on_clock = clock.beat_number_at(obs.last_beat_s + shift)
        clock.align_bar(beat_on_clock - reading.beat % clock.beats_per_bar, source="midi")

    return command


class MidiSession:
    """Owns the MIDI inputs and the controller map; ``learn`` (a LearnSession) is set while
    learning.

    The controller map (``base``: what the map file holds, plus what is learned or edited
    in the table) has this one owner. A preset's own bindings (``set_overrides``) replace
    the map's bindings of the same controls while that preset plays; the router plays the
    two merged. Learning and table edits change ``base``, so they survive the next preset,
    and Save map writes ``base`` without any preset's overrides."""

    def __init__(
        self,
        patterns: list[str],
        store: ParamStore,
        controller_map: ControllerMap,
        submit_tempo: Callable[[TempoCommand], None],
        on_trigger: Callable[[Trigger], None] = lambda trigger: None,
        api: Api = "auto",
        rescan_s: float = RESCAN_S,
        make_inputs: Callable[..., MidiInputs] = MidiInputs,
    ) -> None:
        """``make_inputs(patterns, on_message, api, rescan_s)`` opens the inputs: real
        rtmidi ports by default, a stand-in in tests."""
        self.store = store
        self.submit_tempo = submit_tempo
        self.on_trigger = on_trigger
        self.base = controller_map
        self._overrides: list[dict] = []
        self._overrides_where = ""
        self.router = ControlRouter(controller_map, store, on_trigger=self._trigger)
        self.clock = MidiClockFollower()
        self.learn: LearnSession | None = None
        self._recent: deque[tuple[int, str, MidiMessage, float]] = deque(maxlen=200)
        self._recent_lock = threading.Lock()
        self._received = 0
        self.inputs = make_inputs(patterns, self._on_message, api, rescan_s)

    def start(self) -> "MidiSession":
        self.inputs.start()
        return self

    def stop(self) -> None:
        self.inputs.stop()

    def _merged(self, cmap: ControllerMap) -> tuple[ControllerMap, list[str]]:
        return with_overrides(cmap, self._overrides, self.store.registry, self._overrides_where)

    def set_base(self, cmap: ControllerMap) -> None:
        """A new controller map (the table's edits, a learned binding); the playing
        preset's overrides stay on top of it."""
        self.base = cmap
        self.router.set_map(self._merged(cmap)[0])

    def set_overrides(self, overrides: list[dict], where: str) -> list[str]:
        """The playing preset's own bindings (its ``midi``); one line per unusable one."""
        self._overrides, self._overrides_where = list(overrides), where
        merged, problems = self._merged(self.base)
        self.router.set_map(merged)
        return problems

    def start_learning(self) -> LearnSession:
        self.learn = LearnSession(self.base, self.store.registry)
        return self.learn

    def finish_learning(self, commit: bool) -> ControllerMap:
        """Commit or cancel the learned bindings; returns the controller map now."""
        assert self.learn is not None, "not learning"
        cmap = self.learn.commit() if commit else self.learn.cancel()
        self.learn = None
        self.set_base(cmap)
        return cmap

    def _trigger(self, trigger: Trigger) -> None:
        command = TEMPO_TRIGGERS.get(trigger.name)
        if command is not None:
            self.submit_tempo(command)
        self.on_trigger(trigger)  # tempo triggers too: the performance log hears them

    def recent(self, after: int = 0) -> list[tuple[int, str, MidiMessage, float]]:
        """Messages received (number, port, message, arrival), newest last, numbered from 1;
        ``after``: only those numbered above it (the monitor's cursor). Clock ticks are left
        out: 24 a beat would bury everything else."""
        with self._recent_lock:
            return [item for item in self._recent if item[0] > after]

    def _on_message(self, port: str, message: MidiMessage, arrival: float) -> None:
        if message.kind != "clock":
            with self._recent_lock:
                self._received += 1
                self._recent.append((self._received, port, message, arrival))
        if message.kind in CLOCK_KINDS:
            reading = self.clock.handle(message, arrival)
            if reading is not None:
                self.submit_tempo(apply_clock_reading(reading))
            return
        if self.learn is not None:
            learned = self.learn.offer(port, message)
            if learned is not None:
                self.router.set_map(self._merged(self.learn.preview())[0])
                return
        self.router.handle(port, message)
