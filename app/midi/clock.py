"""MIDI clock in: 24 ticks per quarter note -> tempo and beat phase (pure logic).

Tick arrival times jitter by up to a driver period (JACK delivers MIDI once per audio
cycle: 2-3 ms standard deviation at 512 frames), so tempo and phase come from a straight
line fitted through the last ``WINDOW`` ticks, not from tick-to-tick intervals: after two
beats (48 ticks) the tempo is within a fraction of a BPM and the fitted beat time within a
millisecond or two. Start (the next tick is beat 0, a downbeat), Stop, Continue and Song
Position Pointer (in 16th notes, 6 ticks each) place the beat count; a clock joined while
already running counts beats from the first tick it saw (resync or nudge to fix the bar).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from app.core.tempo import BeatObservation

from .messages import MidiMessage

PPQN = 24
WINDOW = 96  # ticks in the fit (4 beats)
MIN_TICKS = 12  # no estimate before half a beat of ticks
REPORT_EVERY = 6  # ticks between observations (a 16th note)
GAP_S = 0.5  # a pause this long between ticks starts a new fit (tempo change)


@dataclass(frozen=True)
class ClockReading:
    """What the clock says at a tick: an observation for the TempoClock, and the beat number
    (whole beats since song position 0) of the observation's ``last_beat_s``."""

    observation: BeatObservation
    beat: int


class MidiClockFollower:
    """Feed it clock and transport messages with their arrival times (seconds, any clock);
    ``handle`` returns a ClockReading every REPORT_EVERY ticks once it can estimate."""

    def __init__(self) -> None:
        self.running = False
        self.ticks = 0  # ticks since song position 0
        self._fit: deque[tuple[int, float]] = deque(maxlen=WINDOW)
        self.bpm: float | None = None

    def handle(self, message: MidiMessage, t_s: float) -> ClockReading | None:
        kind = message.kind
        if kind == "start":
            self.running, self.ticks = True, 0
            self._fit.clear()
        elif kind == "continue":
            self.running = True
        elif kind == "stop":
            self.running = False
        elif kind == "song_position":
            self.ticks = message.number * 6
            self._fit.clear()
        elif kind == "clock":
            return self._tick(t_s)
        return None

    def _tick(self, t_s: float) -> ClockReading | None:
        if self._fit and t_s - self._fit[-1][1] > GAP_S:
            self._fit.clear()
        self._fit.append((self.ticks, t_s))
        self.ticks += 1
        if len(self._fit) < MIN_TICKS or (self.ticks - 1) % REPORT_EVERY:
            return None
        ticks = np.array([k for k, _ in self._fit], dtype=np.float64)
        times = np.array([t for _, t in self._fit], dtype=np.float64)
        slope, intercept = np.polyfit(ticks - ticks[-1], times, 1)
        if slope <= 0:
            return None
        self.bpm = 60.0 / (PPQN * slope)
        beat = (self.ticks - 1) // PPQN  # the beat of the newest tick
        beat_tick = beat * PPQN
        last_beat_s = intercept + slope * (beat_tick - ticks[-1])
        return ClockReading(
            BeatObservation(t_s=t_s, bpm=self.bpm, last_beat_s=last_beat_s, confidence=1.0), beat
        )
