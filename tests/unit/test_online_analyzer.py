"""The causal analyzer on signals whose beats are known exactly."""

import numpy as np
import pytest

from app.audio.demo_track import click_track
from app.audio.online import HOP, OnlineAnalyzer

SR = 48_000


def run(y, block=HOP, **kw):
    analyzer = OnlineAnalyzer(SR, lookahead_s=HOP / SR, **kw)
    frames = []
    for k in range(0, len(y), block):
        frames += analyzer.process(y[k : k + block])
    return analyzer, frames


def offsets_ms(found, truth, after_s):
    found = np.asarray(found)
    found = found[(found > after_s) & (found < truth[-1] + 0.1)]
    return np.array([f - truth[np.argmin(np.abs(truth - f))] for f in found]) * 1e3


def assert_tracked(y, truth, bpm):
    """Tempo within 1 BPM at the end, and after 8 s every beat announced within 30 ms."""
    analyzer, _ = run(y)
    assert analyzer.clock.bpm == pytest.approx(bpm, abs=1.0)
    err = offsets_ms(analyzer.beat_times, truth, 8.0)
    assert len(err) >= 0.95 * np.sum(truth > 8.0)
    assert np.max(np.abs(err)) < 30.0


@pytest.mark.parametrize("bpm", [92.0, 128.0, 150.0, 174.0])
def test_click_track_tempo_and_beats(bpm):
    assert_tracked(*click_track(bpm, 20.0), bpm)


def test_halving_gives_half_time_on_every_other_beat():
    """The performer's /2 (drum & bass felt half-time): the clock runs at half the tracked
    tempo and every beat it announces is still a true beat."""
    y, truth = click_track(174.0, 20.0)
    halved = OnlineAnalyzer(SR, lookahead_s=HOP / SR)
    halved.clock.halve(0.0)
    for k in range(0, len(y), HOP):
        halved.process(y[k : k + HOP])
    assert halved.clock.bpm == pytest.approx(87.0, abs=0.5)
    err = offsets_ms(halved.beat_times, truth, 8.0)
    assert len(err) >= 0.45 * np.sum(truth > 8.0) and np.max(np.abs(err)) < 30.0


def test_a_nudge_holds_the_announced_beats_off_the_tracked_ones():
    """A performer's nudge (the picture lagged: its beats should come 0.1 beat sooner)
    stays while the tracker keeps hearing the clicks where they are."""
    y, truth = click_track(120.0, 24.0)
    analyzer = OnlineAnalyzer(SR, lookahead_s=HOP / SR)
    for k in range(0, len(y), HOP):
        if k == 8 * SR // HOP * HOP:
            analyzer.submit(lambda clock, t: clock.nudge(t, 0.1))
        analyzer.process(y[k : k + HOP])
    err = offsets_ms(analyzer.beat_times, truth, 12.0)  # 4 s (16 tempo updates) later
    assert len(err) >= 0.95 * np.sum(truth > 12.0)
    assert np.all(np.abs(err + 50.0) < 10.0)  # 0.1 beat at 120 BPM: 50 ms early


def test_demo_track_locks_within_8_seconds(demo_track):
    import librosa

    y = librosa.resample(demo_track.samples.mean(axis=0), orig_sr=demo_track.sr, target_sr=SR)
    analyzer, frames = run(y)
    at_8s = frames[int(8.0 * SR / HOP)]
    assert at_8s.bpm == pytest.approx(demo_track.bpm, abs=1.0)
    err = offsets_ms(analyzer.beat_times, demo_track.beat_times, 8.0)
    assert np.max(np.abs(err)) < 30.0 and abs(np.median(err)) < 10.0
    # through the kick-less breakdown (bars 16-19) the tempo does not flip an octave
    assert all(abs(f.bpm - demo_track.bpm) < 2.0 for f in frames[int(10 * SR / HOP) :])


def gap_in(y, at_s: float, gap_s: float, block: int, **kw):
    """Feed ``y`` in ``block``-sample blocks, losing ``gap_s`` of it at ``at_s`` the way a
    reader a whole ring behind does: (analyzer, frames)."""
    analyzer = OnlineAnalyzer(SR, lookahead_s=HOP / SR, **kw)
    start, end = int(at_s * SR), int((at_s + gap_s) * SR)
    frames = []
    for k in range(0, start, block):
        frames += analyzer.process(y[k : min(k + block, start)])
    analyzer.skip(end - start)
    for k in range(end, len(y), block):
        frames += analyzer.process(y[k : k + block])
    return analyzer, frames


def needs_madmom() -> None:
    """Skip unless the optional madmom backend is installed (``make test`` installs it)."""
    from app.audio.madmom_beats import import_madmom
    from app.core.errors import UserError

    try:
        import_madmom()
    except UserError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("tracker", ["flux", "madmom"])
def test_a_gap_in_the_input_keeps_stream_time_and_the_beat_clock_in_step_with_the_music(tracker):
    """Samples lost when the analyzer falls a ring behind still count as stream time (a
    recorder reads the sound under a frame's t_s), and the beat clock runs on through the
    gap: the beats right after it are on time, with no new lock-in. The gap (4.5 beats)
    ends mid-hop, after a block that left a partial hop."""
    if tracker == "madmom":
        needs_madmom()
    y, truth = click_track(128.0, 20.0)
    beat_s = 60.0 / 128.0
    at, gap = 10.0 + 100 / SR, 4.5 * beat_s
    analyzer, frames = gap_in(y, at, gap, block=300, tracker=tracker)
    end = int((at + gap) * SR)
    first_after = next(f for f in frames if f.t_s > at)  # the partial hop was dropped
    assert first_after.t_s * SR == pytest.approx(end + HOP, abs=1e-6)
    assert 0 <= len(y) - frames[-1].t_s * SR < HOP
    after = np.array(analyzer.beat_times)
    after = after[(after > at + gap + 0.05) & (after < at + gap + 3.0)]
    err = offsets_ms(after, truth, 0.0)
    assert len(err) >= 5 and np.max(np.abs(err)) < 30.0
    assert analyzer.clock.bpm == pytest.approx(128.0, abs=1.0)


def test_after_a_gap_longer_than_its_memory_the_madmom_tracker_starts_afresh():
    """Coasting madmom's DBN over a gap of an hour (a laptop asleep) would take minutes: it
    restarts instead, and locks again within a few seconds."""
    needs_madmom()
    y, truth = click_track(128.0, 20.0)
    analyzer = OnlineAnalyzer(SR, lookahead_s=HOP / SR, tracker="madmom")
    half = 8 * SR
    for k in range(0, half, HOP):
        analyzer.process(y[k : k + HOP])
    hour = 3600 * SR
    analyzer.skip(hour)
    assert analyzer._madmom.state is None  # started afresh
    for k in range(half, len(y), HOP):  # the music goes on, an hour later
        analyzer.process(y[k : k + HOP])
    beats = np.array(analyzer.beat_times) - 3600.0
    err = offsets_ms(beats, truth, 8.0 + 3.0)
    assert len(err) >= 0.95 * np.sum(truth > 11.0) and np.max(np.abs(err)) < 30.0


def drum_song(bpm: float, seconds: float, hits) -> tuple[np.ndarray, np.ndarray]:
    """Drums around each beat: ``hits(i, t)`` names the (sound, time) pairs of beat ``i``
    at ``t``, sounds from "kick", "snare" and "hat" (as loud as the kick). With the beats."""
    from app.audio.demo_track import _hat, _kick, _snare

    rng = np.random.default_rng(3)
    kick, hat = _kick(SR), 20.0 * _hat(SR, rng)
    hat *= np.sqrt(np.mean(kick[: len(hat)] ** 2) / np.mean(hat**2))
    kit = {"kick": kick, "hat": hat, "snare": _snare(SR, rng)}
    beats = np.arange(0.5, seconds - 0.5, 60.0 / bpm)
    y = np.zeros(int(seconds * SR), np.float32)
    for i, t in enumerate(beats):
        for name, at in hits(i, t):
            k = int(at * SR)
            y[k : k + len(kit[name])] += kit[name][: len(y) - k]
    return y, beats


def kicks_and_offbeat_hats(bpm: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Kicks on the beats and, equally loud, open hats on the off-beats: the beat is where
    the kick is, though a hat's noise rises in far more mel bands than a kick's thump."""
    return drum_song(bpm, seconds, lambda i, t: (("kick", t), ("hat", t + 30.0 / bpm)))


@pytest.mark.parametrize("bpm", [96.0, 124.0])
def test_beats_follow_the_kick_not_the_offbeat_hats(bpm):
    assert_tracked(*kicks_and_offbeat_hats(bpm, 16.0), bpm)


def drums_and_eighth_hats(bpm: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """A slow song: kick and snare in turn on the beats, hats as loud as the kick on every
    eighth note. The hats repeat at double tempo; the drums say where the beat is."""
    return drum_song(
        bpm,
        seconds,
        lambda i, t: (("snare" if i % 2 else "kick", t), ("hat", t), ("hat", t + 30.0 / bpm)),
    )


@pytest.mark.parametrize("bpm", [72.0, 80.0])
def test_a_slow_song_with_eighth_note_hats_is_not_tracked_at_double_tempo(bpm):
    assert_tracked(*drums_and_eighth_hats(bpm, 16.0), bpm)


def test_one_frame_per_hop_whatever_the_block_size():
    y, _ = click_track(120.0, 3.0)
    _, a = run(y, block=100)
    _, b = run(y, block=4096)
    assert len(a) == len(b) == len(y) // HOP
    assert [f.onset for f in a] == pytest.approx([f.onset for f in b])


def test_auto_gain_makes_features_level_independent():
    y, _ = click_track(120.0, 12.0)
    _, loud = run(y)
    _, quiet = run(0.01 * y)
    late = slice(int(6 * SR / HOP), None)
    assert np.mean([f.onset for f in loud[late]]) == pytest.approx(
        np.mean([f.onset for f in quiet[late]]), rel=0.1
    )
    assert max(f.rms for f in quiet) > 0.9


def test_lookahead_announces_beats_ahead_of_the_frame_time():
    y, truth = click_track(120.0, 16.0)
    _, frames = run(y)
    ahead = OnlineAnalyzer(SR, lookahead_s=0.1)
    frames_ahead = []
    for k in range(0, len(y), HOP):
        frames_ahead += ahead.process(y[k : k + HOP])
    beat_frames = [f.t_s for f in frames_ahead if f.is_beat and f.t_s > 8.0]
    # frames flagged as beats come ~100 ms before the true beats they show
    early = [min(truth[truth >= t - 0.02] - t, default=1.0) for t in beat_frames]
    assert np.median(early) == pytest.approx(0.1, abs=0.02)


def test_a_lookahead_change_mid_stream_neither_repeats_nor_skips_a_beat():
    """The live engine moves the lookahead as the render time moves: beats after the change
    are announced that much earlier, each one once."""
    y, truth = click_track(120.0, 16.0)
    analyzer = OnlineAnalyzer(SR, lookahead_s=0.0)
    frames = []
    for k in range(0, len(y), HOP):
        if k == 10 * SR // HOP * HOP:
            analyzer.set_lookahead(0.06)
        if k == int(12.97 * SR) // HOP * HOP:  # the beat at 13 s was announced at 12.94 s
            analyzer.set_lookahead(0.0)
        frames += analyzer.process(y[k : k + HOP])
    beat_frames = np.array([f.t_s for f in frames if f.is_beat and 6.2 < f.t_s < 15.6])
    expected = truth[(truth > 6.2) & (truth < 15.6)]
    assert len(beat_frames) == len(expected)  # none twice, none skipped
    early = expected - beat_frames
    assert np.all(np.abs(early[expected < 9.9]) < 0.015)
    ahead = (expected > 10.1) & (expected < 12.9)
    assert np.all(np.abs(early[ahead] - 0.06) < 0.015)
    assert np.all(np.abs(early[expected > 13.1]) < 0.015)
    assert frames[int(11 * SR / HOP)].lookahead_s == 0.06 and frames[-1].lookahead_s == 0.0


def test_onsets_fire_within_two_hops_of_each_click_and_nowhere_else():
    y, truth = click_track(128.0, 12.0)
    _, frames = run(y)
    onset_times = np.array([f.t_s for f in frames if f.is_onset])
    late = onset_times[onset_times > 1.0]
    delays = np.array([t - truth[truth <= t].max() for t in late])
    assert len(late) == np.sum((truth > 1.0) & (truth < 12.0 - 2 * HOP / SR))
    assert np.all((delays >= 0) & (delays <= 2 * HOP / SR))


def test_most_onsets_are_flagged_in_the_hop_the_click_enters():
    """The onset window weighs the newest samples fully: a hit shows in its own hop (a
    Hann window flagged 26 of 37 clicks there, the rest a hop later)."""
    y, truth = click_track(123.0, 20.0, SR, first_beat_s=0.25)  # clicks at every hop phase
    _, frames = run(y)
    flagged = np.nonzero([f.is_onset for f in frames])[0]
    delays = [flagged[flagged >= h][0] - h for h in (truth[truth > 2.0] * SR) // HOP]
    assert np.mean(np.array(delays) == 0) >= 0.85 and max(delays) <= 1


def test_stream_resampler_joins_blocks_without_gaps():
    from app.audio.madmom_beats import StreamResampler

    resample = StreamResampler(48_000, 44_100)
    x = np.sin(2 * np.pi * 440 * np.arange(48_000) / 48_000).astype(np.float32)
    out = np.concatenate([resample(x[k : k + 300]) for k in range(0, len(x), 300)])
    assert len(out) == 44_100
    assert np.abs(out - np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100)).max() < 0.07


def test_unknown_tracker_is_refused():
    with pytest.raises(ValueError, match="beat tracker 'x': one of flux, learned, madmom"):
        OnlineAnalyzer(SR, tracker="x")


@pytest.mark.parametrize("bpm", [98.0, 141.0])
def test_madmom_activation_tracks_click_tracks(bpm):
    """The optional madmom backend (installed by ``make test``), fed 48 kHz input."""
    needs_madmom()
    y, truth = click_track(bpm, 16.0)
    analyzer, _ = run(y, tracker="madmom")
    assert analyzer.clock.bpm == pytest.approx(bpm, abs=1.0)
    err = offsets_ms(analyzer.beat_times, truth, 8.0)
    assert len(err) >= 0.95 * np.sum(truth > 8.0) and np.max(np.abs(err)) < 30.0
