"""The analyzer thread's arrival clock: when ring samples came in, from late sightings."""

import numpy as np
import pytest

from app.audio.analysis_thread import ArrivalClock

SR = 48_000
BLOCK = 512


def sightings(epoch: float, seconds: float, rng, start_s: float = 0.0):
    """(seen at, written) as a 2 ms poll sees 512-sample blocks arriving in real time from
    ``epoch`` on: each sighting comes 0-2 ms after the newest block, plus 0-1 ms of work."""
    block_s = BLOCK / SR
    for k in range(int(start_s / block_s), int((start_s + seconds) / block_s)):
        arrived = epoch + (k + 1) * block_s
        yield arrived + rng.uniform(0.0, 0.003), (k + 1) * BLOCK


def test_samples_are_dated_by_their_arrival_not_by_when_they_were_seen():
    clock, rng = ArrivalClock(SR), np.random.default_rng(1)
    for seen, written in sightings(100.0, 2.0, rng):
        clock.observe(seen, written)
    # sample 48 000 arrived 1 s after the stream's start; seen up to 3 ms later
    assert clock.wall_of(SR) == pytest.approx(101.0, abs=2e-4)


def test_it_follows_a_stream_that_stalled_and_came_back():
    clock, rng = ArrivalClock(SR), np.random.default_rng(2)
    for seen, written in sightings(100.0, 2.0, rng):
        clock.observe(seen, written)
    # the input stalls for 0.3 s: every later sample arrives 0.3 s later than before
    for seen, written in sightings(100.3, 2.0, rng, start_s=2.0):
        clock.observe(seen, written)
    assert clock.wall_of(3 * SR) == pytest.approx(103.3, abs=2e-4)
