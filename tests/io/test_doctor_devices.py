"""`latentvj doctor` with real audio and MIDI ports from a JACK dummy server."""

from __future__ import annotations

import pytest

from app import doctor
from tests.io.jack import jack_available, jack_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]


def test_doctor_finds_jack_audio_inputs_and_midi_ports():
    import rtmidi

    with jack_server():
        controller = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="doctor-ctl")
        controller.open_virtual_port("out")
        try:
            audio = doctor.check_audio()
            midi = doctor.check_midi()
        finally:
            controller.close_port()
            controller.delete()
    assert audio.level == "ok" and "JACK" in audio.detail, audio
    assert midi.level == "ok" and "doctor-ctl" in midi.detail, midi
