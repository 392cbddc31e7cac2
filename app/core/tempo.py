"""The live musical clock: tempo sources, phase locking, and the performer's tempo controls.

The clock maps wall time to a beat position. Its tempo and phase come from one source at a
time, switchable live:

- ``audio``: the online beat tracker's observations (tempo with confidence, and where the
  last beat fell), followed by a phase-locked loop so the beat position moves smoothly;
- ``tap``: tap tempo (median of recent tap intervals, phase anchored at the last tap);
- ``manual``: a BPM set by hand, phase free-running;
- ``midi``: MIDI clock, fed through the same observation interface.

The bar (which beat is the downbeat) follows the source's downbeats (the tracker's, or MIDI
song position) through ``align_bar``, until the performer says otherwise with ``resync``;
``autobar`` hands it back to the source.

Controls: ``resync`` (the next beat is a downbeat), ``nudge`` (shift the phase; held against
the audio or MIDI source until nudged back or a tap places the beat), ``double`` / ``halve``
(x2 / /2 on whatever the source says), and ``lock`` (hold the tempo, keep following the
phase). Pure Python: no threads, no audio, so every rule is unit-tested.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

TempoSource = Literal["audio", "tap", "manual", "midi"]
MIN_BPM, MAX_BPM = 30.0, 300.0
TAP_RESET_S = 2.0  # a pause this long starts a new tap sequence
NUDGE_BEATS = 0.025  # one press of the window's or a controller's nudge (12.5 ms at 120 BPM)


@dataclass(frozen=True)
class BeatObservation:
    """What a tempo source saw at ``t_s``: a tempo and the time of its latest beat."""

    t_s: float
    bpm: float
    last_beat_s: float
    confidence: float = 1.0


class TempoClock:
    """Beat position as a function of time, steered by the active tempo source."""

    def __init__(
        self,
        bpm: float = 120.0,
        beats_per_bar: int = 4,
        source: TempoSource = "audio",
        phase_gain: float = 0.25,
        tempo_gain: float = 0.3,
    ) -> None:
        self.beats_per_bar = beats_per_bar
        self.source: TempoSource = source
        self.phase_gain = phase_gain
        self.tempo_gain = tempo_gain
        self.multiplier = 1.0
        self.locked = False
        self.confidence = 0.0
        self.phase_offset = 0.0  # beats the performer nudged the grid against the source
        self._bpm = bpm  # the tempo the clock runs at (multiplier applied)
        self._anchor_t = 0.0  # (time, beats) the linear clock runs through
        self._anchor_beats = 0.0
        self._bar_offset = 0.0  # beat position of a downbeat, modulo beats_per_bar
        self.bar_follows_source = True  # False once the performer placed the bar (resync)
        self._taps: deque[float] = deque(maxlen=8)

    # -- reading ---------------------------------------------------------------------------
    @property
    def bpm(self) -> float:
        return self._bpm

    def beats_at(self, t_s: float) -> float:
        return self._anchor_beats + (t_s - self._anchor_t) * self._bpm / 60.0

    def bar_phase_at(self, t_s: float) -> float:
        return ((self.beats_at(t_s) - self._bar_offset) / self.beats_per_bar) % 1.0

    def time_of_beats(self, beats: float) -> float:
        return self._anchor_t + (beats - self._anchor_beats) * 60.0 / self._bpm

    def shift_time(self, offset_s: float) -> None:
        """Go on under a stream clock that reads ``offset_s`` less (a new input's analyzer
        starts its stream time at 0): the beat position at every instant stays, so the
        picture does not jump; the taps of a sequence in progress are forgotten."""
        self._anchor_t -= offset_s
        self._taps.clear()

    def _rebase(self, t_s: float) -> None:
        self._anchor_beats = self.beats_at(t_s)
        self._anchor_t = t_s

    def _set_bpm(self, t_s: float, bpm: float) -> None:
        self._rebase(t_s)
        self._bpm = min(MAX_BPM, max(MIN_BPM, bpm))

    # -- sources ---------------------------------------------------------------------------
    def set_source(self, source: TempoSource) -> None:
        self.source = source

    def observe(self, obs: BeatObservation, source: TempoSource = "audio") -> None:
        """A tempo/phase observation from ``source``; ignored unless it is the active one.
        Audio observations are estimates, followed through a phase-locked loop; MIDI clock
        ones are the master's own tempo and (already jitter-filtered) beat, taken as they
        are."""
        if source != self.source or obs.bpm <= 0:
            return
        exact = source == "midi"
        self.confidence = obs.confidence
        target = obs.bpm * self.multiplier
        if not self.locked:
            ratio = target / self._bpm
            if exact or abs(math.log2(ratio)) > 0.05:  # a new tempo: jump to it
                self._set_bpm(obs.t_s, target)
            else:
                self._set_bpm(obs.t_s, self._bpm + self.tempo_gain * (target - self._bpm))
        # phase: the observed beat should sit on the grid. A source beat is one clock beat,
        # or half of one after /2 (then it may fall on a whole or a half beat)
        unit = min(1.0, self.multiplier)
        beats_at_obs = (self.beats_at(obs.last_beat_s) - self.phase_offset) / unit
        error = (beats_at_obs - round(beats_at_obs)) * unit
        gain = 1.0 if exact else self.phase_gain * min(1.0, max(0.1, obs.confidence))
        self._rebase(obs.t_s)
        self._anchor_beats -= gain * error

    def beat_number_at(self, t_s: float) -> int:
        """The clock beat a source's beat at ``t_s`` is (the nearest whole beat, less the
        performer's nudge)."""
        return round(self.beats_at(t_s) - self.phase_offset)

    def tap(self, t_s: float) -> None:
        """A tap: with two or more in a row, tempo and phase follow the taps."""
        if self._taps and t_s - self._taps[-1] > TAP_RESET_S:
            self._taps.clear()
        self._taps.append(t_s)
        if len(self._taps) >= 2:
            intervals = sorted(b - a for a, b in zip(self._taps, list(self._taps)[1:]))
            period = intervals[len(intervals) // 2]
            self.source = "tap"
            self._bpm = min(MAX_BPM, max(MIN_BPM, 60.0 / period * self.multiplier))
        # the tap is a beat: snap the phase so this instant is a whole beat (the performer
        # has placed the beat: no nudge is held any more)
        beats = self.beats_at(t_s)
        self._anchor_t, self._anchor_beats = t_s, float(round(beats))
        self.phase_offset = 0.0

    def set_manual(self, t_s: float, bpm: float) -> None:
        self.source = "manual"
        self._set_bpm(t_s, bpm)

    # -- performer controls -----------------------------------------------------------------
    def align_bar(self, downbeat: int, source: TempoSource = "audio") -> bool:
        """``source`` says clock beat number ``downbeat`` was a downbeat. Followed only while
        that source drives the clock at its own tempo (no x2 or /2) and the performer has
        not placed the bar; returns whether the bar moved."""
        if not self.bar_follows_source or self.source != source or self.multiplier != 1.0:
            return False
        offset = float(downbeat % self.beats_per_bar)
        moved = offset != self._bar_offset
        self._bar_offset = offset
        return moved

    def resync(self, t_s: float) -> None:
        """The next beat is a downbeat (and stays the performer's choice: see ``autobar``)."""
        next_beat = math.ceil(self.beats_at(t_s) - 1e-9)
        self._bar_offset = next_beat % self.beats_per_bar
        self.bar_follows_source = False

    def autobar(self) -> None:
        """The bar follows the source's downbeats again."""
        self.bar_follows_source = True

    def nudge(self, t_s: float, beats: float) -> None:
        """Shift the phase by ``beats`` (positive: later beats come sooner). The shift is
        kept as an offset from where the audio or MIDI source puts the beat, so the phase
        loop holds it instead of pulling the grid back (a projector's delay, a tracker
        that hears the beat late)."""
        self._rebase(t_s)
        self._anchor_beats += beats
        self.phase_offset = (self.phase_offset + beats + 0.5) % 1.0 - 0.5

    def double(self, t_s: float) -> None:
        self.multiplier *= 2.0
        self._set_bpm(t_s, self._bpm * 2.0)

    def halve(self, t_s: float) -> None:
        self.multiplier /= 2.0
        self._set_bpm(t_s, self._bpm / 2.0)

    def set_locked(self, locked: bool) -> None:
        """Hold the tempo (phase still follows the source)."""
        self.locked = locked


def parse_command(text: str) -> Callable[[TempoClock, float], None]:
    """A performer's tempo command as typed (``tap``, ``resync``, ``autobar``, ``nudge -0.05``,
    ``x2``, ``/2``, ``lock``, ``unlock``, ``bpm 128``, ``audio``, ``midi``): a function of
    (clock, time).
    Raises ValueError naming the command when it is not one of these."""
    words = text.strip().lower().split()
    if not words:
        raise ValueError("empty command")
    name, args = words[0], words[1:]
    simple: dict[str, Callable[[TempoClock, float], None]] = {
        "tap": lambda c, t: c.tap(t),
        "resync": lambda c, t: c.resync(t),
        "autobar": lambda c, t: c.autobar(),
        "x2": lambda c, t: c.double(t),
        "/2": lambda c, t: c.halve(t),
        "lock": lambda c, t: c.set_locked(True),
        "unlock": lambda c, t: c.set_locked(False),
        "audio": lambda c, t: c.set_source("audio"),
        "midi": lambda c, t: c.set_source("midi"),
    }
    if name in simple and not args:
        return simple[name]
    try:
        value = float(args[0]) if len(args) == 1 else None
    except ValueError:
        value = None
    if name == "bpm" and value is not None and MIN_BPM <= value <= MAX_BPM:
        return lambda c, t: c.set_manual(t, value)
    if name == "nudge" and value is not None and abs(value) <= 1.0:
        return lambda c, t: c.nudge(t, value)
    raise ValueError(
        f"{text.strip()!r}: commands are tap, resync, autobar, nudge BEATS "
        f"(-1..1), x2, /2, lock, unlock, bpm N ({MIN_BPM:g}-{MAX_BPM:g}), "
        f"audio, midi"
    )
