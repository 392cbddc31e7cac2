import pytest

from app.core.tempo import BeatObservation, TempoClock


def test_clock_runs_at_its_tempo():
    clock = TempoClock(bpm=120.0)
    assert clock.beats_at(1.0) == pytest.approx(2.0)
    assert clock.time_of_beats(3.0) == pytest.approx(1.5)


def test_audio_observations_lock_tempo_and_phase():
    clock = TempoClock(bpm=100.0)
    # the music is at 128 BPM with beats at 0.1 + k * 60/128
    period = 60.0 / 128.0
    for k in range(40):
        t = 0.1 + k * period + 0.2
        last_beat = 0.1 + k * period
        clock.observe(BeatObservation(t_s=t, bpm=128.0, last_beat_s=last_beat))
    assert clock.bpm == pytest.approx(128.0, abs=0.01)
    beats = clock.beats_at(0.1 + 40 * period)
    assert abs(beats - round(beats)) < 0.01


def test_observations_from_another_source_are_ignored():
    clock = TempoClock(bpm=120.0, source="manual")
    clock.observe(BeatObservation(t_s=1.0, bpm=90.0, last_beat_s=0.9))
    assert clock.bpm == 120.0


def test_tap_tempo_takes_the_median_interval_and_snaps_phase():
    clock = TempoClock(bpm=120.0)
    for t in (10.0, 10.5, 11.02, 11.5, 12.0):
        clock.tap(t)
    assert clock.source == "tap"
    assert clock.bpm == pytest.approx(120.0, abs=0.5)
    assert clock.beats_at(12.0) == pytest.approx(round(clock.beats_at(12.0)))
    clock.tap(20.0)  # a long pause starts a new sequence: one tap only re-phases
    assert clock.bpm == pytest.approx(120.0, abs=0.5)


def test_double_halve_and_lock():
    clock = TempoClock(bpm=100.0)
    clock.double(0.0)
    assert clock.bpm == 200.0
    clock.observe(BeatObservation(t_s=1.0, bpm=100.0, last_beat_s=1.0))
    assert clock.bpm == pytest.approx(200.0)  # the x2 applies to what audio reports
    clock.halve(1.0)
    clock.set_locked(True)
    clock.observe(BeatObservation(t_s=2.0, bpm=140.0, last_beat_s=2.0))
    assert clock.bpm == pytest.approx(100.0)  # locked: tempo held


def test_resync_makes_the_next_beat_a_downbeat_and_nudge_shifts_phase():
    clock = TempoClock(bpm=120.0)
    clock.resync(1.2)  # beats 2.4 -> next beat is beat 3
    assert clock.bar_phase_at(1.5) == pytest.approx(0.0)
    before = clock.beats_at(5.0)
    clock.nudge(5.0, 0.1)
    assert clock.beats_at(5.0) == pytest.approx(before + 0.1)


def follow_music(clock: TempoClock, start_s: float, end_s: float, source="audio") -> None:
    """Observations of music at 120 BPM (beats on the half seconds), every 0.25 s."""
    for t in [start_s + 0.25 * k for k in range(int((end_s - start_s) / 0.25))]:
        clock.observe(
            BeatObservation(t_s=t, bpm=120.0, last_beat_s=(t // 0.5) * 0.5), source=source
        )


@pytest.mark.parametrize("source", ["audio", "midi"])
def test_a_nudge_is_held_against_the_source_until_a_tap_places_the_beat(source):
    clock = TempoClock(bpm=120.0, source=source)
    follow_music(clock, 0.0, 4.0, source)
    assert clock.beats_at(4.0) % 1.0 == pytest.approx(0.0, abs=1e-3)
    clock.nudge(4.0, 0.05)  # the picture lagged: its beats come 0.05 beat sooner
    clock.nudge(4.0, 0.05)
    follow_music(clock, 4.0, 12.0, source)  # the source keeps saying where the beat is
    assert clock.beats_at(12.0) % 1.0 == pytest.approx(0.1, abs=1e-3)
    assert clock.phase_offset == pytest.approx(0.1)
    assert clock.beat_number_at(12.0) == round(clock.beats_at(12.0) - 0.1)  # its beat 24
    clock.nudge(12.0, -0.1)
    follow_music(clock, 12.0, 16.0, source)
    assert clock.beats_at(16.0) % 1.0 == pytest.approx(0.0, abs=1e-3)
    clock.nudge(16.0, 0.2)
    clock.tap(16.0)  # a tap says where the beat is: the nudge is let go
    assert clock.phase_offset == 0.0
    follow_music(clock, 16.0, 20.0, source)
    assert clock.beats_at(20.0) % 1.0 == pytest.approx(0.0, abs=1e-3)


def test_manual_tempo():
    clock = TempoClock(bpm=120.0)
    clock.set_manual(2.0, 90.0)
    assert clock.source == "manual" and clock.bpm == 90.0
    assert clock.beats_at(2.0) == pytest.approx(4.0)  # continuous at the change


def test_a_clock_moved_onto_a_new_stream_keeps_its_beat_position_and_settings():
    clock = TempoClock(bpm=120.0)
    clock.set_manual(1.0, 96.0)
    clock.resync(3.1)
    clock.tap(3.2)  # a tap sequence in progress ...
    at_switch = clock.beats_at(30.0)
    bar = clock.bar_phase_at(30.0)
    clock.shift_time(30.0)  # the new stream's time 0 is the old stream's 30 s
    assert clock.beats_at(0.0) == pytest.approx(at_switch)
    assert clock.bar_phase_at(0.0) == pytest.approx(bar)
    assert clock.beats_at(1.0) == pytest.approx(at_switch + 96.0 / 60.0)
    assert clock.time_of_beats(at_switch) == pytest.approx(0.0)
    clock.tap(0.5)  # ... is forgotten: its taps were on the old stream's clock
    assert clock.bpm == pytest.approx(96.0)


def test_typed_commands_drive_the_clock():
    from app.core.tempo import parse_command

    clock = TempoClock(bpm=120.0)
    parse_command("bpm 90")(clock, 1.0)
    assert clock.source == "manual" and clock.bpm == 90.0
    parse_command("x2")(clock, 1.0)
    assert clock.bpm == 180.0
    parse_command("/2")(clock, 1.0)
    parse_command("lock")(clock, 1.0)
    assert clock.locked
    before = clock.beats_at(2.0)
    parse_command("nudge 0.25")(clock, 2.0)
    assert clock.beats_at(2.0) == pytest.approx(before + 0.25)
    parse_command("audio")(clock, 2.0)
    assert clock.source == "audio"
    for t in (5.0, 5.5, 6.0):
        parse_command("TAP")(clock, t)
    assert clock.source == "tap" and clock.bpm == pytest.approx(120.0)


@pytest.mark.parametrize("text", ["", "jump", "bpm", "bpm fast", "bpm 900", "nudge 3", "tap 2"])
def test_bad_commands_are_refused_by_name(text):
    from app.core.tempo import parse_command

    with pytest.raises(ValueError):
        parse_command(text)


def test_bar_follows_audio_downbeats_until_the_performer_resyncs():
    clock = TempoClock(bpm=120.0)
    assert clock.align_bar(6)  # beat 6 is a downbeat: beat 6 is at 3.0 s
    assert clock.bar_phase_at(3.0) == pytest.approx(0.0)
    clock.resync(3.2)  # the performer: beat 7 is the downbeat
    assert not clock.align_bar(6)
    assert clock.bar_phase_at(3.5) == pytest.approx(0.0)
    clock.autobar()
    clock.double(4.0)  # at x2 the clock's beats are not the audio's: the bar stays put
    assert not clock.align_bar(6)
    clock.halve(4.0)
    assert clock.align_bar(6)
