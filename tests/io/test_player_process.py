"""File playback through a real JACK server, from the output process the live engine uses."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.audio.demo_track import click_track
from app.audio.loading import clip_from_array
from app.audio.player_process import PlayerProcess
from tests.io.jack import jack_available, jack_server
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]


def test_a_44k_file_plays_at_the_servers_rate_and_midi_ports_open_meanwhile():
    import rtmidi

    clicks, _ = click_track(120.0, 6.0, 44_100, first_beat_s=0.1)
    with jack_server(48_000):
        player = PlayerProcess(clip_from_array(clicks[None, :], 44_100, "clicks")).start()
        try:
            assert player.output_name == "system" and player.sr == 48_000  # resampled
            wait_until(lambda: player.ring.written >= 48_000, 10, "a second of playback")
            block, _, _ = player.ring.read(player.ring.written - 48_000)
            assert np.abs(block).max() > 0.3  # what was played reached the engine's ring
            # a JACK MIDI client opened while the file plays: with the stream's Python
            # callback in this process, this stalled for 5 s and failed every other time
            for k in range(3):
                t0 = time.monotonic()
                client = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=f"lvj-test-{k}")
                client.get_ports()
                client.delete()
                assert time.monotonic() - t0 < 2.0
            player.set_playing(False)  # silence goes out, the ring keeps filling
            stopped_at = player.ring.written
            wait_until(lambda: player.ring.written >= stopped_at + 24_000, 10, "0.5 s more")
            tail, _, _ = player.ring.read(player.ring.written - 4_800)
            assert not tail.any()
        finally:
            player.stop()


def test_without_an_output_device_it_plays_on_the_internal_clock_and_says_why():
    import subprocess
    import sys

    # this process's PortAudio may have seen a JACK server of an earlier test: ask afresh
    outputs = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sounddevice as sd; "
            "print(sum(d['max_output_channels'] > 0 for d in sd.query_devices()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if outputs != "0":
        pytest.skip("this machine has an audio output device")
    clicks, _ = click_track(120.0, 3.0, 48_000)
    player = PlayerProcess(clip_from_array(clicks[None, :], 48_000, "clicks")).start()
    try:
        assert player.output_name is None
        assert player.fallback_reason == "audio output: no output device"
        wait_until(lambda: player.ring.written >= 4_800, 10, "0.1 s on the internal clock")
    finally:
        player.stop()
