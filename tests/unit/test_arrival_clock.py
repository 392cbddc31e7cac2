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


class CountingClock(ArrivalClock):
    """Dates ring sample i at 1000 + i seconds: shows which sample a frame is dated by."""

    def observe(self, seen_s: float, written: int) -> None:
        pass

    def wall_of(self, index: int) -> float:
        return 1000.0 + index


def test_the_analyzer_thread_dates_a_frame_by_the_sample_that_completed_its_hop():
    from app.audio.analysis_thread import AnalysisThread
    from app.audio.online import HOP, OnlineAnalyzer
    from app.audio.ring import AudioRing
    from tests.waiting import wait_until

    ring = AudioRing(SR, 1)
    ring.write(np.zeros((1000, 1), np.float32))  # before the analysis starts: not its audio
    thread = AnalysisThread(ring, OnlineAnalyzer(SR), lambda block: block[:, 0])
    thread.arrivals = CountingClock(SR)
    thread.start()
    try:
        ring.write(np.zeros((5 * HOP + 100, 1), np.float32))  # five hops and a bit
        wait_until(
            lambda: (
                thread.latest.get()[1] is not None
                and thread.latest.get()[1].frame.t_s >= 5 * HOP / SR - 1e-9
            ),
            10,
            "5 hops",
        )
    finally:
        thread.stop()
    assert thread.latest.get()[1].wall_s == 1000.0 + 1000 + 5 * HOP


def test_audio_lost_to_a_ring_overrun_still_counts_as_stream_time():
    """The analyzer a whole ring behind: the samples it lost move stream time on, so a
    frame's t_s still names its place in the input (where a recorder reads its sound)."""
    from app.audio.analysis_thread import AnalysisThread
    from app.audio.online import HOP, OnlineAnalyzer
    from app.audio.ring import AudioRing
    from tests.waiting import wait_until

    ring = AudioRing(4 * HOP, 1)
    thread = AnalysisThread(ring, OnlineAnalyzer(SR), lambda block: block[:, 0])
    thread.arrivals = CountingClock(SR)
    thread.start()
    try:
        ring.write(np.zeros((20 * HOP, 1), np.float32))  # 16 hops more than the ring holds
        wait_until(lambda: thread.latest.get()[1] is not None, 10, "a frame")
    finally:
        thread.stop()
    timed = thread.latest.get()[1]
    assert thread.lost_samples == 16 * HOP
    assert timed.frame.t_s == 20 * HOP / SR
    assert timed.wall_s == 1000.0 + 20 * HOP
