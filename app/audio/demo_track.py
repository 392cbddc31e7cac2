"""The built-in demo track: drums and bass synthesised procedurally at a known tempo.

It lets latentvj run with no sound card and no music file, and because it is synthesised its
beat and downbeat times are known exactly, which the beat-sync tests rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEMO_BPM = 124.0
DEMO_SR = 44_100
DEMO_BARS = 32
DEMO_FIRST_BEAT_S = 0.25  # a little lead-in so the first kick is not at sample 0
BEATS_PER_BAR = 4
# Chord roots (MIDI notes) per bar, a i-VI-III-VII progression in A minor.
_PROGRESSION = ((45, 48, 52), (41, 45, 48), (48, 52, 55), (43, 47, 50))
_BREAKDOWN_BARS = range(16, 20)  # no kick: the music thins out, the visuals should too


@dataclass(frozen=True)
class DemoTrack:
    """Stereo float32 samples [2, n] at ``sr`` and the exact beat times in seconds."""

    samples: np.ndarray
    sr: int
    beat_times: np.ndarray
    bpm: float = DEMO_BPM
    beats_per_bar: int = BEATS_PER_BAR

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sr

    @property
    def downbeat_times(self) -> np.ndarray:
        return self.beat_times[:: self.beats_per_bar]


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.35 * sr)) / sr
    freq = 45.0 + 110.0 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    body = np.sin(phase) * np.exp(-t / 0.12)
    click = np.exp(-t / 0.002) * 0.6
    return (body + click).astype(np.float32)


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    noise = rng.standard_normal(t.size) * np.exp(-t / 0.06)
    noise = np.diff(noise, prepend=0.0)  # first difference: a crude high-pass, brighter crack
    tone = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
    return (0.35 * noise + 0.5 * tone).astype(np.float32)


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * sr)) / sr
    noise = np.diff(rng.standard_normal(t.size), n=2, prepend=[0.0, 0.0])
    return (0.12 * noise * np.exp(-t / 0.012)).astype(np.float32)


def _bass_note(sr: int, hz: float, length_s: float) -> np.ndarray:
    t = np.arange(int(length_s * sr)) / sr
    saw = 2.0 * ((hz * t) % 1.0) - 1.0
    sub = np.sin(2 * np.pi * hz * t)
    env = np.minimum(1.0, t / 0.005) * np.exp(-t / (0.6 * length_s))
    # one-pole low-pass on the saw for a round bass
    alpha = 0.08
    smoothed = np.empty_like(saw)
    acc = 0.0
    for i, x in enumerate(saw):
        acc += alpha * (x - acc)
        smoothed[i] = acc
    return ((0.5 * smoothed + 0.6 * sub) * env).astype(np.float32)


def _pad(sr: int, notes: tuple[int, ...], length_s: float) -> np.ndarray:
    t = np.arange(int(length_s * sr)) / sr
    tone = sum(
        np.sin(2 * np.pi * _midi_hz(n + 12) * t) + 0.3 * np.sin(4 * np.pi * _midi_hz(n + 12) * t)
        for n in notes
    )
    env = np.minimum(1.0, t / 0.3) * np.minimum(1.0, (length_s - t) / 0.3)
    return (0.06 * tone * env).astype(np.float32)


def _add(
    buffer: np.ndarray,
    sound: np.ndarray,
    start_s: float,
    sr: int,
    gain: float = 1.0,
    pan: float = 0.0,
) -> None:
    start = int(round(start_s * sr))
    end = min(buffer.shape[1], start + sound.size)
    if end <= start:
        return
    left, right = np.sqrt(0.5 * (1 - pan)), np.sqrt(0.5 * (1 + pan))
    buffer[0, start:end] += gain * left * sound[: end - start]
    buffer[1, start:end] += gain * right * sound[: end - start]


def synthesize(bars: int = DEMO_BARS, sr: int = DEMO_SR, seed: int = 7) -> DemoTrack:
    """Render the demo track: ``bars`` bars of 4/4 at DEMO_BPM, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    beat_s = 60.0 / DEMO_BPM
    n_beats = bars * BEATS_PER_BAR
    duration_s = DEMO_FIRST_BEAT_S + n_beats * beat_s + 0.5
    buf = np.zeros((2, int(duration_s * sr)), dtype=np.float32)
    kick, snare = _kick(sr), _snare(sr, rng)
    hats = [_hat(sr, rng) for _ in range(4)]
    pads = [_pad(sr, chord, BEATS_PER_BAR * beat_s) for chord in _PROGRESSION]
    bass_notes: dict[float, np.ndarray] = {}
    for bar in range(bars):
        bar_s = DEMO_FIRST_BEAT_S + bar * BEATS_PER_BAR * beat_s
        chord = _PROGRESSION[bar % len(_PROGRESSION)]
        _add(buf, pads[bar % len(pads)], bar_s, sr, pan=0.0)
        for beat in range(BEATS_PER_BAR):
            t = bar_s + beat * beat_s
            if bar not in _BREAKDOWN_BARS:
                _add(buf, kick, t, sr, gain=0.9 if beat else 1.0)
            if beat in (1, 3) and bar >= 2:
                _add(buf, snare, t, sr, gain=0.7, pan=0.1)
            _add(buf, hats[(bar + beat) % 4], t + 0.5 * beat_s, sr, gain=1.0, pan=-0.3)
            if bar >= 4 and bar not in _BREAKDOWN_BARS:
                # off-beat bass on the chord root, an octave jump on the last eighth of the bar
                note = chord[0] - 12 + (12 if beat == 3 else 0)
                hz = _midi_hz(note)
                if hz not in bass_notes:
                    bass_notes[hz] = _bass_note(sr, hz, 0.45 * beat_s)
                _add(buf, bass_notes[hz], t + 0.5 * beat_s, sr, gain=0.55)
    peak = float(np.max(np.abs(buf)))
    buf *= 0.89 / peak
    beat_times = DEMO_FIRST_BEAT_S + beat_s * np.arange(n_beats)
    return DemoTrack(samples=buf, sr=sr, beat_times=beat_times)


def demo_clip(bars: int = DEMO_BARS):
    """The demo track as an AudioClip (what ``render`` uses when no ``--audio`` is given)."""
    from .loading import clip_from_array

    track = synthesize(bars)
    return clip_from_array(track.samples, track.sr, name="built-in demo track")


def click_track(
    bpm: float, seconds: float, sr: int = 48_000, first_beat_s: float = 0.5, gain: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """A mono metronome: 1 kHz clicks of 20 ms at ``bpm``; (samples, exact beat times).

    The other signal whose beats are known exactly: calibration, tests and benchmarks.
    """
    y = np.zeros(int(sr * seconds), dtype=np.float32)
    beats = np.arange(first_beat_s, seconds - 0.05, 60.0 / bpm)
    t = np.arange(int(0.02 * sr)) / sr
    click = (gain * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.004)).astype(np.float32)
    for b in beats:
        i = int(round(b * sr))
        y[i : i + click.size] += click[: len(y) - i]
    return y, beats
