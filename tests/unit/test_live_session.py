"""The live session on sources the test writes to (``tests.fake_rig``): no sound card, MIDI
system, JACK or Qt, the whole engine otherwise (patch session, MIDI, commands, the render
and analyzer threads)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from app.core.errors import UserError
from app.core.presets import SHIPPED_PRESETS_DIR
from app.live import LiveEngine, LiveOptions
from app.live.headless import read_commands
from app.midi.messages import MidiMessage
from tests.fake_rig import FakeRig, cc
from tests.waiting import wait_until

SIZE = (32, 18)


def turn(rig, number: int, value: int) -> None:
    """Move a knob over its whole travel, then to ``value``: soft takeover picks it up
    wherever the parameter stands."""
    for v in [*range(128), *range(127, value - 1, -1)]:
        rig.inputs.send(cc(number, v))


@pytest.fixture
def desk_map(tmp_path):
    """A controller map: a fader on cc 1, a pad (note 36) for flash."""
    path = tmp_path / "desk.json"
    path.write_text(
        json.dumps(
            {
                "name": "desk",
                "bindings": [
                    {"control": "cc", "number": 1, "target": "fx.saturation"},
                    {
                        "control": "note",
                        "number": 36,
                        "target": "trigger:flash",
                        "button": "momentary",
                    },
                ],
            }
        )
    )
    return path


@pytest.fixture
def preset_with_bindings(tmp_path):
    """A shipped preset whose own bindings put cc 1 on brightness while it plays."""
    data = json.loads((SHIPPED_PRESETS_DIR / "plasma-tunnel.json").read_text())
    data["name"] = "plasma-with-desk"
    data["midi"] = [{"control": "cc", "number": 1, "target": "fx.brightness"}]
    path = tmp_path / "plasma-with-desk.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def session(desk_map):
    rig = FakeRig()
    engine = LiveEngine(
        LiveOptions(preset="nebula-drift", size=SIZE, midi=["*"], midi_map=str(desk_map)), rig=rig
    ).start()
    yield engine, rig
    engine.stop()


def test_learned_binding_survives_a_preset_load(session):
    engine, rig = session
    engine.command("learn fx.hue.shift")
    rig.inputs.send(cc(30, 10))
    engine.command("commit")
    engine.load_preset("plasma-tunnel")
    turn(rig, 30, 127)
    spec = engine.registry["fx.hue.shift"]
    assert engine.store.get("fx.hue.shift") == pytest.approx(spec.max)
    assert "fx.hue.shift" in {b.target for b in engine.midi.controller_map.bindings}


def test_a_presets_own_bindings_play_but_save_map_writes_only_the_map(
    session, preset_with_bindings, tmp_path
):
    engine, rig = session
    engine.load_preset(preset_with_bindings)
    turn(rig, 1, 0)  # the preset put cc 1 on brightness while it plays
    assert engine.store.get("fx.brightness") == pytest.approx(engine.registry["fx.brightness"].min)
    engine.command(f"save-map {tmp_path / 'saved.json'}")
    saved = json.loads((tmp_path / "saved.json").read_text())
    assert [(b["number"], b["target"]) for b in saved["bindings"]] == [
        (1, "fx.saturation"),
        (36, "trigger:flash"),
    ]
    engine.load_preset("nebula-drift")  # without overrides: cc 1 is the map's again
    turn(rig, 1, 127)
    assert engine.store.get("fx.saturation") == pytest.approx(engine.registry["fx.saturation"].max)


def test_table_edits_replace_the_map_and_survive_a_preset_load(session):
    engine, rig = session
    _, problems = engine.midi.set_bindings(
        [
            {"control": "cc", "number": 5, "target": "fx.brightness"},
            {"control": "cc", "number": 6, "target": "fx.nope"},
        ]
    )
    assert problems == [
        "mapping table: binding 2 (cc 6 -> fx.nope): unknown parameter 'fx.nope'; skipped"
    ]
    engine.load_preset("cell-strobe")
    assert [b.target for b in engine.midi.controller_map.bindings] == ["fx.brightness"]


def test_commands_from_midi_stdin_and_a_test_double_take_one_path(session):
    engine, rig = session
    reached: list[str] = []
    real_trigger = engine.worker.trigger
    engine.worker.trigger = lambda name: (reached.append(name), real_trigger(name))
    rig.inputs.send(MidiMessage("note_on", 0, 36, 100))  # the pad
    read_commands(
        engine, io.StringIO("flash\n\nno-such-word\n"), io.StringIO(), err := io.StringIO()
    )
    engine.commands.run("flash")  # what the window's button and OSC call
    assert reached == ["flash", "flash", "flash"]
    assert "no-such-word" in err.getvalue()


def test_a_bad_input_switch_changes_nothing_and_a_good_one_follows_the_new_ring(session):
    engine, rig = session
    old = engine.input_tap
    with pytest.raises(UserError, match="missing"):
        engine.switch_input(audio_device="missing")
    assert engine.input_tap is old and not rig.feeds[0].stopped
    engine.switch_input(audio_device="mic")
    assert rig.feeds[0].stopped and engine.input_tap.device_name == "mic"
    clicks = np.zeros(rig.feeds[1].samplerate, np.float32)
    clicks[::2205] = 1.0  # ten clicks in a second
    rig.feeds[1].write(clicks)
    wait_until(
        lambda: any(frame.onset > 0 for _, frame in engine.input_tap.history(0)),
        10,
        "the new input's clicks in its analysis",
    )


def test_the_transport_stops_the_input_and_the_picture(session):
    engine, rig = session
    engine.command("stop")
    assert not rig.feeds[0].playing
    wait_until(lambda: not engine.status().playing, 10, "the render thread to stop")
    engine.command("play")
    assert rig.feeds[0].playing
    wait_until(lambda: engine.status().playing, 10, "the render thread to play")


def test_midi_opened_later_starts_with_the_map(desk_map):
    rig = FakeRig()
    engine = LiveEngine(LiveOptions(size=SIZE, midi_map=str(desk_map)), rig=rig).start()
    try:
        assert engine.midi.state() is None and engine.status().midi_ports == 0
        engine.open_midi("*")
        assert engine.midi.state().open_ports and engine.status().midi_ports == 1
        engine.open_midi("launchpad")
        assert engine.midi.state().patterns == ["*", "launchpad"] and rig.inputs.rescans == 1
    finally:
        engine.stop()


def test_bad_modulation_routes_are_reported_and_the_good_ones_play(session):
    engine, _ = session
    problems = engine.set_routes(
        [
            {"source": "audio.rms", "target": "fx.brightness", "amount": 0.5},
            {"source": "audio.rms", "target": "fx.nope", "amount": 0.5},
            {"source": "audio.nope", "target": "fx.brightness"},
        ]
    )
    assert problems[0] == "route 2 (audio.rms -> fx.nope): unknown parameter 'fx.nope'"
    assert problems[1].startswith("route 3 (audio.nope -> fx.brightness): source")
    assert [(r.source, r.target) for r in engine.patch.routes] == [("audio.rms", "fx.brightness")]


def test_keyframe_thumbnails_of_another_latent_space_are_not_drawn(session):
    engine, _ = session
    dim = engine.still_renderer((16, 16)).generator.latent_dim
    assert len(engine.keyframe_pictures(np.zeros((2, dim)), (16, 16))) == 2
    assert engine.keyframe_pictures(np.zeros((2, dim + 36)), (16, 16)) == []  # a race lost
