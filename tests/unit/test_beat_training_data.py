"""The synthesised training songs: the beats they are labelled with are the beats the notes
were written on (tools/beat_model/synth.py; rendering needs FluidSynth and is not run here)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "beat_model"))
import synth  # noqa: E402


@pytest.mark.parametrize("seed", range(6))
def test_a_song_is_written_on_its_beats(seed):
    rng = np.random.default_rng(seed)
    score, line, meter, genre, bpm = synth.compose(rng)
    periods = np.diff(line.beats)
    assert np.all(periods > 0)
    assert 60 / np.median(periods) == pytest.approx(bpm, rel=0.12)  # drift stays modest
    notes = np.array(sorted(t for t, _, m in score.events if m.type == "note_on"))
    assert len(notes) and notes.min() >= 0 and notes.max() < synth.CLIP_S
    beats, downbeats = synth.labels(line, meter)
    assert np.all((beats >= 0) & (beats < synth.CLIP_S))
    assert set(downbeats) <= set(beats)
    assert len(downbeats) == pytest.approx(len(beats) / meter, abs=1)
    assert meter in (3, 4) and genre in synth.GROOVES


def test_positions_map_to_beat_times_with_swing():
    line = synth._Timeline(np.random.default_rng(0), 120.0, rubato=0.0)
    period = line.beats[3] - line.beats[2]
    assert line.time(2.0, human=False) == line.beats[2]
    line.swing = 0.1
    assert line.time(2.5, human=False) == pytest.approx(line.beats[2] + 0.6 * period)
    assert line.time(2.25, human=False) == pytest.approx(line.beats[2] + 0.3 * period)


def test_midi_file_ticks_are_milliseconds(tmp_path):
    import mido

    score = synth._Score()
    score.note(0, 60, 1.234, 0.5, 100)
    score.write(tmp_path / "s.mid")
    elapsed = 0.0
    for msg in mido.MidiFile(tmp_path / "s.mid"):  # iteration yields times in seconds
        elapsed += msg.time
        if msg.type == "note_on":
            break
    assert msg.type == "note_on" and elapsed == pytest.approx(1.234, abs=1e-3)
