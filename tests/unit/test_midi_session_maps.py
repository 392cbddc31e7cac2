"""The controller map has one owner, the MIDI session: bindings learned or edited survive a
preset load (whose own bindings only override while it plays), and Save map writes the
controller map without the preset's overrides. Messages come from a stand-in input that
calls the session's callback as rtmidi's ports do (no MIDI system needed)."""

from __future__ import annotations

import json

from app.core.params import ParamStore
from app.engine.param_specs import build_registry
from app.midi.mapping import parse_map, save_map
from app.midi.session import MidiSession
from tests.fake_rig import FakeInputs, cc


def session_with_map():
    registry = build_registry()
    store = ParamStore(registry)
    base, _ = parse_map(
        {"name": "desk", "bindings": [{"control": "cc", "number": 1, "target": "fx.saturation"}]},
        registry,
        "t",
    )
    session = MidiSession(
        ["*"], store, base, submit_tempo=lambda command: None, make_inputs=FakeInputs
    )
    return session.start(), store


def targets(cmap) -> list[str]:
    return sorted(b.target for b in cmap.bindings)


def test_learned_bindings_survive_the_next_preset_load():
    session, store = session_with_map()
    session.set_overrides([{"control": "cc", "number": 7, "target": "fx.flash"}], "preset a")
    learn = session.start_learning()
    learn.arm("fx.hue.shift")
    session.inputs.send(cc(2, 10))
    session.finish_learning(commit=True)
    session.set_overrides([], "preset b")  # the next preset, without overrides of its own
    assert targets(session.router.controller_map) == ["fx.hue.shift", "fx.saturation"]
    session.inputs.send(cc(2, 0), 1.0)  # picks the parameter up (soft takeover) ...
    session.inputs.send(cc(2, 127), 1.1)  # ... and still plays it
    assert store.get("fx.hue.shift") > 300


def test_a_preset_override_plays_while_its_preset_plays_and_is_never_saved(tmp_path):
    session, _ = session_with_map()
    problems = session.set_overrides(
        [{"control": "cc", "number": 1, "target": "fx.brightness"}], "preset a"
    )
    assert problems == []
    assert targets(session.router.controller_map) == ["fx.brightness"]  # replaces cc 1
    path = tmp_path / "desk.json"
    save_map(session.base, path)
    saved = json.loads(path.read_text())
    assert [b["target"] for b in saved["bindings"]] == ["fx.saturation"]
    session.set_overrides([], "preset b")
    assert targets(session.router.controller_map) == ["fx.saturation"]


def test_table_edits_become_the_controller_map_under_the_presets_overrides():
    session, _ = session_with_map()
    session.set_overrides([{"control": "cc", "number": 7, "target": "fx.flash"}], "preset a")
    registry = build_registry()
    edited, _ = parse_map(
        {"name": "desk", "bindings": [{"control": "cc", "number": 3, "target": "fx.brightness"}]},
        registry,
        "table",
    )
    session.set_base(edited)
    assert targets(session.router.controller_map) == ["fx.brightness", "fx.flash"]
    assert targets(session.base) == ["fx.brightness"]
    session.set_overrides([], "preset b")
    assert targets(session.router.controller_map) == ["fx.brightness"]
