"""Sources a test writes to, for unit tests of the live session's logic without a sound
card, MIDI system or JACK: an audio input whose ring the test fills, and MIDI inputs that
deliver a message to the session's callback as rtmidi's ports do. The real devices are
tested in tests/io with JACK."""

from __future__ import annotations

import numpy as np

from app.audio.ring import AudioRing
from app.core.errors import UserError
from app.live.rig import InputHealth
from app.midi.messages import MidiMessage

PORT = "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0"
SAMPLERATE = 22050


class FakeInputs:
    """Stands in for MidiInputs: ``send`` delivers a message as an open port would."""

    def __init__(self, patterns, on_message, api, rescan_s) -> None:
        self.patterns, self.on_message = patterns, on_message
        self.events, self.error, self.rescans = 0, None, 0

    def send(self, message: MidiMessage, arrival: float = 0.0) -> None:
        self.events += 1
        self.on_message(PORT, message, arrival)

    def open_ports(self) -> list[str]:
        return [PORT]

    def rescan(self) -> None:
        self.rescans += 1

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class RingFeed:
    """An input device the test plays into with ``write``."""

    where = "the test's input"

    def __init__(self, name: str) -> None:
        self.device_name = name
        self.samplerate = SAMPLERATE
        self.ring = AudioRing(4 * SAMPLERATE, 1)
        self.playing, self.stopped = True, False

    def write(self, samples: np.ndarray) -> None:
        self.ring.write(np.asarray(samples, np.float32).reshape(-1, 1))

    def mono(self, block: np.ndarray) -> np.ndarray:
        return block.mean(axis=1)

    def recorded_channels(self) -> tuple[int, ...]:
        return (0,)

    def health(self) -> InputHealth:
        return InputHealth("ok")

    def set_playing(self, playing: bool) -> None:
        self.playing = playing

    def stop(self) -> None:
        self.stopped = True


class FakeRig:
    """Opens RingFeeds (a device named ``missing`` is refused, as a real absent one is) and
    FakeInputs; ``feeds`` and ``inputs`` are what the session opened, for the test."""

    def __init__(self) -> None:
        self.feeds: list[RingFeed] = []
        self.inputs: FakeInputs | None = None

    def open_audio(self, device, play, samplerate, channels) -> RingFeed:
        if device == "missing":
            raise UserError("--audio-device 'missing': no such input device")
        self.feeds.append(RingFeed(device or "default"))
        return self.feeds[-1]

    def midi_system(self, api):
        return "test", self.make_inputs

    def make_inputs(self, patterns, on_message, api, rescan_s) -> FakeInputs:
        self.inputs = FakeInputs(patterns, on_message, api, rescan_s)
        return self.inputs


def cc(number: int, value: int, channel: int = 0) -> MidiMessage:
    return MidiMessage("cc", channel, number, value)
