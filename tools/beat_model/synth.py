"""Synthesised training music with exact beats and downbeats, for the beat activation model.

The evaluation data (../shared/data) must never be trained on, and no annotated music can be
downloaded here, so the model learns from songs written by this module: a random genre
(drum grooves of rock, pop, disco, house, hip-hop, funk, reggae one-drop, jazz swing,
blues / country shuffle, metal, punk, drum and bass, bossa, waltz; or no drums at all),
key, chord progression, bass line, comping and melody, with tempo drift, swing, human timing,
sections that drop the drums, fills and crashes. Each song is written as a MIDI file whose
ticks are milliseconds (so events sit at the exact, drifting beat times we choose), rendered
with FluidSynth and the FluidR3 General MIDI SoundFont (MIT licence; Debian packages
``fluidsynth`` and ``fluid-soundfont-gm``), then roughened (EQ tilt, low-pass, saturation,
noise). The beat and downbeat times are the ones the notes were placed on.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
CLIP_S = 30.0
DRUM_CHANNEL = 9
KICK, SNARE, RIM, CLAP, HAT, OPEN_HAT, PEDAL_HAT, RIDE, CRASH = 36, 38, 37, 39, 42, 46, 44, 51, 49
TOMS = (50, 47, 45, 43)
SHAKER, TAMBOURINE, COWBELL = 70, 54, 56

# Grooves on a grid of `steps` per beat: one string per drum, one character per step
# ('x' accent, 'o' normal, 'g' ghost, '.' rest), one bar long.
Groove = dict[int, str]
GROOVES: dict[str, tuple[int, int, tuple[float, float], list[Groove]]] = {
    # name: (beats per bar, steps per beat, bpm range, grooves)
    "rock": (
        4,
        4,
        (90, 150),
        [
            {KICK: "x.......x.x.....", SNARE: "....x.......x...", HAT: "x.o.x.o.x.o.x.o."},
            {KICK: "x..x....x.......", SNARE: "....x.......x..g", HAT: "x.o.x.o.x.o.x.o."},
            {KICK: "x.......x.......", SNARE: "....x.......x...", RIDE: "x.o.x.o.x.o.x.o."},
        ],
    ),
    "pop": (
        4,
        4,
        (85, 130),
        [
            {KICK: "x.....x...x.....", SNARE: "....x.......x...", HAT: "xooooooooooooooo"},
            {KICK: "x.......x.....x.", CLAP: "....x.......x...", SHAKER: "xoooxoooxoooxooo"},
        ],
    ),
    "disco": (
        4,
        4,
        (110, 132),
        [
            {
                KICK: "x...x...x...x...",
                CLAP: "....x.......x...",
                OPEN_HAT: "..x...x...x...x.",
                HAT: "x...x...x...x...",
            },
        ],
    ),
    "house": (
        4,
        4,
        (118, 130),
        [
            {
                KICK: "x...x...x...x...",
                CLAP: "....x.......x...",
                OPEN_HAT: "..x...x...x...x.",
                SHAKER: "oooooooooooooooo",
            },
            {KICK: "x...x...x...x...", RIM: "...g..g....g..g.", HAT: "..x...x...x...x."},
        ],
    ),
    "hiphop": (
        4,
        4,
        (72, 100),
        [
            {KICK: "x.....x...x..x..", SNARE: "....x.......x...", HAT: "x.o.x.o.x.o.x.o."},
            {KICK: "x..x......x.....", SNARE: "....x.......x...", HAT: "xoxoxoxoxoxoxoxo"},
        ],
    ),
    "funk": (
        4,
        4,
        (92, 118),
        [
            {KICK: "x..x..x...x..x..", SNARE: "....x..g.g..x..g", HAT: "xoxoxoxoxoxoxoxo"},
        ],
    ),
    "reggae": (
        4,
        4,
        (65, 90),
        [
            {KICK: "........x.......", RIM: "........x.......", HAT: "x.o.x.o.x.o.x.o."},
            {KICK: "x...x...x...x...", RIM: "........x.......", HAT: "x.o.x.o.x.o.x.o."},
        ],
    ),
    "jazz": (
        4,
        3,
        (100, 220),
        [
            {RIDE: "x..x.ox..x.o", PEDAL_HAT: "...x.....x..", KICK: "g.....g....."},
            {RIDE: "x..x.ox..x.o", PEDAL_HAT: "...x.....x..", SNARE: "..g.....g..g"},
        ],
    ),
    "shuffle": (
        4,
        3,
        (80, 140),
        [
            {KICK: "x.....x.....", SNARE: "...x.....x..", HAT: "x.ox.ox.ox.o"},
            {KICK: "x..x..x..x..", SNARE: "...x.....x..", RIDE: "x.ox.ox.ox.o"},
        ],
    ),
    "country": (
        4,
        4,
        (100, 160),
        [
            {KICK: "x.......x.......", SNARE: "gogxgogogogxgogo", HAT: "x...x...x...x..."},
        ],
    ),
    "metal": (
        4,
        4,
        (140, 200),
        [
            {KICK: "xxxxxxxxxxxxxxxx", SNARE: "....x.......x...", CRASH: "x...x...x...x..."},
            {KICK: "x.x.x.x.x.x.x.x.", SNARE: "....x.......x...", RIDE: "x...x...x...x..."},
        ],
    ),
    "punk": (
        4,
        4,
        (160, 200),
        [
            {KICK: "x...x...x...x...", SNARE: "..x...x...x...x.", HAT: "x.x.x.x.x.x.x.x."},
        ],
    ),
    "dnb": (
        4,
        4,
        (160, 178),
        [
            {KICK: "x.........x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x."},
            {KICK: "x.x.......x.....", SNARE: "....x..g.g..x...", RIDE: "x.x.x.x.x.x.x.x."},
        ],
    ),
    "bossa": (
        4,
        4,
        (120, 150),
        [
            {KICK: "x..xx..xx..xx..x", RIM: "x..x..x...x.x...", HAT: "xoxoxoxoxoxoxoxo"},
        ],
    ),
    "waltz": (
        3,
        4,
        (90, 180),
        [
            {KICK: "x...........", SNARE: "....x...x...", HAT: "x.o.x.o.x.o."},
        ],
    ),
    "none": (4, 4, (60, 160), [{}]),
    "none3": (3, 4, (60, 160), [{}]),
}
GENRE_WEIGHTS = {
    "rock": 3,
    "pop": 3,
    "disco": 1.5,
    "house": 1.5,
    "hiphop": 2,
    "funk": 1.5,
    "reggae": 2,
    "jazz": 2,
    "shuffle": 2,
    "country": 1.5,
    "metal": 2,
    "punk": 1,
    "dnb": 1,
    "bossa": 1,
    "waltz": 1,
    "none": 3.5,
    "none3": 1,
}
VELOCITY = {"x": 112, "o": 84, "g": 42}

# General MIDI programs by role
CHORD_PROGRAMS = [
    0,
    1,
    2,
    4,
    5,
    16,
    17,
    19,
    24,
    25,
    26,
    27,
    29,
    30,
    48,
    49,
    50,
    52,
    61,
    88,
    89,
    90,
    91,
    94,
]
BASS_PROGRAMS = [32, 33, 34, 35, 36, 37, 38, 39, 42, 43]
LEAD_PROGRAMS = [0, 11, 13, 22, 24, 26, 40, 56, 57, 60, 64, 65, 66, 68, 71, 73, 80, 81, 82]
PROGRESSIONS = [
    (0, 5, 3, 4),
    (0, 3, 4, 4),
    (0, 4, 5, 3),
    (5, 3, 0, 4),
    (0, 0, 3, 4),
    (1, 4, 0, 0),
    (0, 6, 5, 4),
    (0, 3, 0, 4),
    (0, 2, 5, 4),
    (3, 4, 0, 5),
]
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


@dataclass
class Song:
    """One synthesised clip: mono audio and the exact times it was written on."""

    audio: np.ndarray
    sr: int
    beats: np.ndarray  # seconds
    downbeats: np.ndarray  # seconds, a subset of beats
    genre: str
    bpm: float


class _Score:
    """Note events in seconds, written out as a MIDI file with 1 ms ticks."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, mido.Message]] = []  # (time, order, message)

    def program(self, channel: int, program: int, volume: int, pan: int) -> None:
        self.events += [
            (0.0, 0, mido.Message("program_change", channel=channel, program=program)),
            (0.0, 0, mido.Message("control_change", channel=channel, control=7, value=volume)),
            (0.0, 0, mido.Message("control_change", channel=channel, control=10, value=pan)),
        ]

    def note(self, channel: int, pitch: int, t: float, dur: float, velocity: int) -> None:
        if t < 0 or t >= CLIP_S or not 0 <= pitch <= 127:
            return
        velocity = int(np.clip(velocity, 1, 127))
        self.events.append(
            (t, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity))
        )
        self.events.append(
            (
                min(t + max(dur, 0.02), CLIP_S + 1),
                1,
                mido.Message("note_off", channel=channel, note=pitch),
            )
        )

    def write(self, path: Path) -> None:
        mid = mido.MidiFile(ticks_per_beat=500)  # at 120 BPM: 1 tick = 1 ms
        track = mido.MidiTrack()
        mid.tracks.append(track)
        track.append(mido.MetaMessage("set_tempo", tempo=500_000, time=0))
        now = 0
        for t, _, message in sorted(self.events, key=lambda e: (e[0], e[1])):
            tick = int(round(t * 1000))
            track.append(message.copy(time=tick - now))
            now = tick
        mid.save(path)


class _Timeline:
    """Beat times with tempo drift, and musical positions (in beats) mapped to seconds with
    swing and human timing."""

    def __init__(self, rng: np.random.Generator, bpm: float, rubato: float) -> None:
        n = int(CLIP_S * bpm / 60 * 1.3) + 8
        # a smooth random tempo curve: drift of a few per cent, more for rubato
        walk = np.cumsum(rng.normal(0, 1, n))
        walk = np.convolve(walk - walk.mean(), np.ones(8) / 8, mode="same")
        walk = walk / (np.abs(walk).max() + 1e-9)
        drift = rubato * walk + rng.uniform(-0.01, 0.01)
        periods = 60.0 / (bpm * (1 + drift))
        start = rng.uniform(0.0, 1.5) - (
            rng.integers(0, 4) * 60.0 / bpm if rng.random() < 0.5 else 0.0
        )
        self.beats = start + np.concatenate([[0.0], np.cumsum(periods)])
        self.swing = 0.0
        self.jitter_s = 0.0
        self.rng = rng

    def time(self, position: float, steps: int = 4, human: bool = True) -> float:
        i = int(math.floor(position))
        frac = position - i
        if steps == 4 and self.swing:  # swung 8ths (or 16ths) push the off-beat late
            if abs(frac - 0.5) < 1e-6:
                frac += self.swing
            elif abs(frac - 0.25) < 1e-6 or abs(frac - 0.75) < 1e-6:
                frac += self.swing / 2
        i = min(max(i, 0), len(self.beats) - 2)
        t = self.beats[i] + frac * (self.beats[i + 1] - self.beats[i])
        if human and self.jitter_s:
            t += self.rng.normal(0, self.jitter_s)
        return float(t)


def _chord(root: int, degree: int, scale: tuple[int, ...], size: int = 3) -> list[int]:
    return [root + 12 * ((degree + 2 * k) // 7) + scale[(degree + 2 * k) % 7] for k in range(size)]


def compose(rng: np.random.Generator) -> tuple[_Score, _Timeline, int, str, float]:
    """A random song as a score: returns it, its timeline, beats per bar, genre and tempo."""
    genres = list(GENRE_WEIGHTS)
    weights = np.array([GENRE_WEIGHTS[g] for g in genres])
    genre = str(rng.choice(genres, p=weights / weights.sum()))
    meter, steps, (lo, hi), grooves = GROOVES[genre]
    bpm = float(rng.uniform(lo, hi))
    drums_on = bool(grooves[0])
    rubato = (
        rng.uniform(0.04, 0.1) if not drums_on and rng.random() < 0.6 else rng.uniform(0.0, 0.025)
    )
    line = _Timeline(rng, bpm, rubato)
    line.jitter_s = rng.uniform(0.002, 0.012 if drums_on else 0.025)
    if steps == 4 and genre in ("hiphop", "reggae", "funk", "shuffle") or rng.random() < 0.1:
        line.swing = rng.uniform(0.05, 0.16)
    score = _Score()
    n_beats = len(line.beats) - 2
    n_bars = n_beats // meter
    groove = grooves[rng.integers(len(grooves))]
    alt_groove = grooves[rng.integers(len(grooves))]

    # sections of 4 or 8 bars: some drop the drums (intros, breakdowns), each ends in a fill
    section_len = int(rng.choice([4, 8]))
    drum_sections = [
        rng.random() > (0.25 if drums_on else 1.0) for _ in range(n_bars // section_len + 2)
    ]
    if drums_on and not any(drum_sections[:2]):
        drum_sections[1] = True

    root = int(rng.integers(36, 48))
    scale = MAJOR if rng.random() < 0.55 else MINOR
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    bars_per_chord = int(rng.choice([1, 1, 2]))
    chord_style = str(
        rng.choice(
            ["pad", "comp8", "strum", "arp", "stabs", "block"]
            + (["skank"] * 3 if genre == "reggae" else [])
        )
    )
    bass_style = str(
        rng.choice(
            ["kick", "root8", "sustain", "octave"]
            + (["walk"] * 4 if genre in ("jazz", "shuffle") else [])
        )
    )
    score.program(
        0, int(rng.choice(CHORD_PROGRAMS)), int(rng.integers(60, 110)), int(rng.integers(30, 98))
    )
    score.program(1, int(rng.choice(BASS_PROGRAMS)), int(rng.integers(70, 120)), 64)
    score.program(
        2, int(rng.choice(LEAD_PROGRAMS)), int(rng.integers(50, 105)), int(rng.integers(20, 108))
    )
    score.program(DRUM_CHANNEL, 0, int(rng.integers(70, 125)), 64)
    has_bass = drums_on or rng.random() < 0.6
    has_lead = rng.random() < 0.6
    has_chords = rng.random() < 0.9 or not has_lead

    def bar_chord(bar: int) -> list[int]:
        return _chord(
            root + 12,
            progression[(bar // bars_per_chord) % 4],
            scale,
            size=int(rng.choice([3, 4])) if chord_style == "block" else 3,
        )

    for bar in range(n_bars):
        section = bar // section_len
        b0 = bar * meter
        chord = bar_chord(bar)
        accent = 1.0 + 0.15 * rng.standard_normal()
        # drums
        if drums_on and drum_sections[section]:
            pattern = alt_groove if bar % section_len == section_len - 2 else groove
            last_bar = bar % section_len == section_len - 1
            for drum, hits in pattern.items():
                for s, c in enumerate(hits):
                    if c == "." or (last_bar and s >= (meter - 1) * steps and rng.random() < 0.7):
                        continue
                    pos = b0 + s / steps
                    score.note(
                        DRUM_CHANNEL,
                        drum,
                        line.time(pos, steps),
                        0.1,
                        int(VELOCITY[c] * accent + rng.normal(0, 8)),
                    )
            if last_bar:  # a fill over the last beat
                for s in range(steps):
                    pos = b0 + meter - 1 + s / steps
                    drum = int(rng.choice((SNARE,) + TOMS))
                    score.note(
                        DRUM_CHANNEL, drum, line.time(pos, steps), 0.1, int(rng.integers(70, 120))
                    )
            if bar % section_len == 0 and rng.random() < 0.7:
                score.note(DRUM_CHANNEL, CRASH, line.time(b0), 1.0, 110)
        # chords
        if has_chords:
            _comp(score, line, rng, chord_style, chord, b0, meter, steps)
        # bass
        if has_bass:
            bass_root = chord[0] - 12 if chord[0] - 12 >= 28 else chord[0]
            if bass_style == "kick" and groove.get(KICK) and drum_sections[section]:
                hits = [s / steps for s, c in enumerate(groove[KICK]) if c != "."]
            elif bass_style == "root8":
                hits = [k * 0.5 for k in range(2 * meter)]
            elif bass_style == "octave":
                hits = [k * 0.5 for k in range(2 * meter)]
            elif bass_style == "walk":
                hits = list(range(meter))
            else:
                hits = [0.0] if rng.random() < 0.5 else [0.0, meter / 2]
            for k, h in enumerate(hits):
                pitch = bass_root
                if bass_style == "octave" and k % 2:
                    pitch += 12
                elif bass_style == "walk" and k:
                    pitch = bass_root + scale[int(rng.integers(0, 7))]
                dur = (hits[k + 1] - h if k + 1 < len(hits) else meter - h) * 60 / bpm * 0.9
                score.note(
                    1,
                    pitch,
                    line.time(b0 + h, steps),
                    dur,
                    int(rng.integers(80, 115) + (10 if h == 0 else 0)),
                )
        # melody: a phrase of random scale steps, sometimes resting
        if has_lead and rng.random() < 0.75:
            pos = 0.0
            pitch_degree = int(rng.integers(7, 14))
            while pos < meter:
                dur = float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5, 2.0, 0.25]))
                if rng.random() < 0.8:
                    pitch_degree = int(np.clip(pitch_degree + rng.integers(-2, 3), 4, 18))
                    pitch = root + 12 + 12 * (pitch_degree // 7) + scale[pitch_degree % 7]
                    score.note(
                        2,
                        pitch,
                        line.time(b0 + pos, steps),
                        dur * 60 / bpm * 0.95,
                        int(rng.integers(60, 110)),
                    )
                pos += dur
    return score, line, meter, genre, bpm


def _comp(
    score: _Score,
    line: _Timeline,
    rng: np.random.Generator,
    style: str,
    chord: list[int],
    b0: int,
    meter: int,
    steps: int,
) -> None:
    """The chord instrument's rhythm for one bar."""
    last = len(line.beats) - 1
    beat_s = float(line.beats[min(b0 + 1, last)] - line.beats[min(b0, last - 1)])
    if style == "pad":
        hits = [(0.0, meter)]
    elif style == "comp8":
        hits = [(k * 0.5, 0.4) for k in range(2 * meter)]
    elif style == "skank":
        hits = [(k + 0.5, 0.25) for k in range(meter)]
    elif style == "strum":
        hits = [(0.0, 1.0), (1.5, 0.5), (2.0, 1.0), (3.5, 0.5)][: meter + 1]
    elif style == "arp":
        hits = [(k * 0.25, 0.25) for k in range(4 * meter)]
    elif style == "stabs":
        hits = [(k * 0.25, 0.2) for k in range(4 * meter) if rng.random() < 0.25]
    else:  # block chords on every beat
        hits = [(float(k), 0.9) for k in range(meter)]
    for k, (pos, dur) in enumerate(hits):
        if pos >= meter:
            continue
        velocity = int(rng.integers(55, 100) + (12 if pos == 0 else 0))
        notes = [chord[k % len(chord)] + 12] if style == "arp" else chord
        for pitch in notes:
            score.note(0, pitch, line.time(b0 + pos, steps), dur * beat_s * 0.95, velocity)


def render(score: _Score, sr: int, rng: np.random.Generator) -> np.ndarray:
    """FluidSynth renders the score; returns mono float32 audio of CLIP_S seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        midi, wav = Path(tmp) / "song.mid", Path(tmp) / "song.wav"
        score.write(midi)
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-q",
                "-g",
                f"{rng.uniform(0.3, 0.8):.2f}",
                "-r",
                str(sr),
                "-o",
                f"synth.reverb.active={int(rng.random() < 0.8)}",
                "-o",
                f"synth.reverb.room-size={rng.uniform(0.1, 0.9):.2f}",
                "-o",
                f"synth.reverb.level={rng.uniform(0.2, 0.9):.2f}",
                "-o",
                f"synth.chorus.active={int(rng.random() < 0.5)}",
                "-F",
                str(wav),
                str(SOUNDFONT),
                str(midi),
            ],
            check=True,
            capture_output=True,
        )
        audio, _ = sf.read(wav, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    mono = np.pad(mono, (0, max(0, int(CLIP_S * sr) - len(mono))))[: int(CLIP_S * sr)]
    return roughen(mono, sr, rng)


def roughen(y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Recording and mastering variety: EQ tilt, low-pass, saturation, noise, level."""
    from scipy.signal import butter, sosfilt

    if rng.random() < 0.5:
        sos = butter(2, rng.uniform(2500, 12000), "low", fs=sr, output="sos")
        y = sosfilt(sos, y)
    if rng.random() < 0.4:
        sos = butter(1, rng.uniform(60, 400), "high", fs=sr, output="sos")
        y = sosfilt(sos, y)
    peak = np.abs(y).max() + 1e-9
    y = y / peak
    if rng.random() < 0.5:  # loud mastering
        drive = rng.uniform(1.5, 6.0)
        y = np.tanh(drive * y) / math.tanh(drive)
    if rng.random() < 0.4:
        y = y + rng.normal(0, 10 ** rng.uniform(-3.5, -1.8), len(y))
    return (y * 10 ** rng.uniform(-1.5, -0.05)).astype(np.float32)


def make_song(seed: int, sr: int) -> Song:
    """The song for ``seed``: the same seed always writes the same score."""
    rng = np.random.default_rng(seed)
    score, line, meter, genre, bpm = compose(rng)
    audio = render(score, sr, rng)
    beats, downbeats = labels(line, meter)
    return Song(audio, sr, beats, downbeats, genre, bpm)


def labels(line: _Timeline, meter: int) -> tuple[np.ndarray, np.ndarray]:
    """The beats inside the clip, and the downbeats among them (every bar starts on a beat
    number divisible by the meter)."""
    index = np.arange(len(line.beats))
    keep = (line.beats >= 0) & (line.beats < CLIP_S)
    return line.beats[keep], line.beats[keep & (index % meter == 0)]
