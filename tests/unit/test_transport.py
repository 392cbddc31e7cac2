import numpy as np
import pytest

from app.core.transport import BeatGrid


def test_beats_are_exact_at_beat_times_and_linear_between():
    grid = BeatGrid(np.array([1.0, 1.5, 2.0, 2.6]))
    assert grid.beats_at(np.array([1.0, 1.5, 2.0, 2.6])).tolist() == [0, 1, 2, 3]
    assert grid.beats_at(1.25) == pytest.approx(0.5)
    assert grid.beats_at(2.3) == pytest.approx(2.5)


def test_beats_extend_at_edge_tempo_outside_the_grid():
    grid = BeatGrid(np.array([1.0, 1.5, 2.0]))
    assert grid.beats_at(0.5) == pytest.approx(-1.0)
    assert grid.beats_at(3.0) == pytest.approx(4.0)


def test_local_bpm_averages_jittered_beats():
    rng = np.random.default_rng(0)
    times = 0.5 * np.arange(64) + rng.uniform(-0.01, 0.01, 64)
    grid = BeatGrid(times)
    assert grid.bpm_at(10.0) == pytest.approx(120.0, abs=1.0)
    assert grid.median_bpm() == pytest.approx(120.0, abs=0.5)


def test_bar_phase_starts_at_the_downbeat():
    grid = BeatGrid(0.5 * np.arange(16), beats_per_bar=4, downbeat_index=1)
    assert grid.bar_phase_at(0.5) == pytest.approx(0.0)
    assert grid.bar_phase_at(1.5) == pytest.approx(0.5)


def test_grid_rejects_unsorted_or_short_input():
    with pytest.raises(ValueError):
        BeatGrid(np.array([1.0]))
    with pytest.raises(ValueError):
        BeatGrid(np.array([1.0, 0.5]))
