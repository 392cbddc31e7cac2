"""The performer's command language: a word typed on stdin (or sent by the window) and the
same trigger from a MIDI controller take one path to the same part, checked on a stand-in
engine (no audio, no MIDI system, no Qt)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.core.errors import UserError
from app.live.commands import LiveCommands
from app.midi.controls import Trigger


class Recorder:
    """Remembers every call made to it, by name."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self.calls.append((name, *args))


class StandInEngine:
    def __init__(self) -> None:
        self.worker, self.analyzer, self.recordings = Recorder(), Recorder(), Recorder()
        self.midi = SimpleNamespace(active=False)  # MIDI off
        # the launcher cues presets through the session's preset switch
        self.launcher = SimpleNamespace(cue=self.load_preset)
        self.calls: list[tuple] = []
        self.notices: list[tuple] = []

    def set_playing(self, playing: bool) -> None:
        self.calls.append(("set_playing", playing))

    def toggle_recording(self, path=None) -> None:
        self.calls.append(("toggle_recording", path))

    def load_preset(self, name: str) -> None:
        if name == "missing":
            raise UserError("preset 'missing': not found")
        self.calls.append(("load_preset", name))

    def notify(self, lines, problem: bool = True) -> None:
        self.notices.append((problem, *lines))


@pytest.fixture
def engine() -> StandInEngine:
    return StandInEngine()


@pytest.mark.parametrize(
    "word,trigger",
    [
        ("flash", "flash"),
        ("freeze", "freeze"),
        ("blackout", "blackout"),
        ("next", "next_keyframe"),
        ("previous", "previous_keyframe"),
        ("reseed", "reseed"),
    ],
)
def test_picture_words_and_midi_triggers_reach_the_render_worker_alike(engine, word, trigger):
    commands = LiveCommands(engine)
    commands.run(word)
    commands.on_trigger(Trigger(trigger))
    assert engine.worker.calls == [("trigger", trigger), ("trigger", trigger)]


def test_tempo_words_go_to_the_clock_and_into_the_log(engine):
    commands = LiveCommands(engine)
    commands.run("tap")
    assert [call[0] for call in engine.analyzer.calls] == ["submit"]
    assert engine.recordings.calls == [("log_tempo", "tap", "command")]
    commands.on_trigger(Trigger("tap"))  # MIDI sent it to the clock itself: logged only
    assert engine.recordings.calls[-1] == ("log_tempo", "tap", "midi")


def test_transport_record_and_preset_from_either_path(engine):
    commands = LiveCommands(engine)
    commands.run("stop")
    commands.run("record")
    commands.on_trigger(Trigger("record"))
    commands.on_trigger(Trigger("preset", "cell-strobe"))
    assert engine.calls == [
        ("set_playing", False),
        ("toggle_recording", None),
        ("toggle_recording", None),
        ("load_preset", "cell-strobe"),
    ]
    commands.on_trigger(Trigger("preset", "missing"))  # a notice; the preset plays on
    assert engine.notices[-1] == (True, "preset 'missing': not found")


def test_empty_commands_and_learn_without_midi_are_refused_by_name(engine):
    commands = LiveCommands(engine)
    with pytest.raises(ValueError, match="needs a MIDI input"):
        commands.run("learn fx.flash")
    with pytest.raises(ValueError, match="empty"):
        commands.run("   ")
