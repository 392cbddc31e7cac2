"""MIDI from raw bytes to parameter values, triggers, tempo and learned bindings (pure)."""

import json

import numpy as np
import pytest

from app.core.errors import UserError
from app.core.params import ParamStore
from app.engine.param_specs import build_registry
from app.midi.clock import PPQN, MidiClockFollower
from app.midi.controls import ControlRouter, Trigger, decode_relative
from app.midi.learn import LearnSession
from app.midi.mapping import device_name, load_map, parse_map, save_map
from app.midi.messages import MidiMessage, decode, describe

PORT = "nanoKONTROL2:nanoKONTROL2 MIDI 1 24:0"


def cc(number, value, channel=0):
    return decode([0xB0 | channel, number, value])


def router_for(*bindings):
    registry = build_registry()
    store = ParamStore(registry)
    fired = []
    cmap, problems = parse_map({"name": "t", "bindings": list(bindings)}, registry, "test")
    assert problems == []
    return ControlRouter(cmap, store, on_trigger=fired.append), store, fired


@pytest.mark.parametrize(
    "data, expected",
    [
        ([0x90, 60, 100], MidiMessage("note_on", 0, 60, 100)),
        ([0x93, 60, 0], MidiMessage("note_off", 3, 60, 0)),
        ([0x80, 61, 64], MidiMessage("note_off", 0, 61, 64)),
        ([0xBF, 7, 127], MidiMessage("cc", 15, 7, 127)),
        ([0xC2, 5], MidiMessage("program", 2, 5, 0)),
        ([0xE0, 0x00, 0x40], MidiMessage("pitchbend", 0, 0, 8192)),
        ([0xF8], MidiMessage("clock")),
        ([0xFA], MidiMessage("start")),
        ([0xF2, 0x10, 0x01], MidiMessage("song_position", number=144)),
    ],
)
def test_decode_raw_bytes(data, expected):
    assert decode(data) == expected


@pytest.mark.parametrize("data", [[], [0xB0, 7], [0x40, 1, 2], [0xF2, 1]])
def test_truncated_or_stray_bytes_decode_to_nothing(data):
    assert decode(data) is None


def test_describe_uses_channels_one_to_sixteen():
    assert describe(cc(21, 64)) == "ch 1   cc 21 = 64"
    assert describe(decode([0x99, 36, 90])) == "ch 10  note on 36 velocity 90"


def test_absolute_cc_maps_to_the_range_with_curve_and_invert():
    router, store, _ = router_for(
        {"control": "cc", "number": 1, "target": "fx.hue.shift", "soft_takeover": False},
        {
            "control": "cc",
            "number": 2,
            "target": "fx.saturation",
            "min": 0.5,
            "max": 1.5,
            "invert": True,
            "soft_takeover": False,
        },
        {
            "control": "cc",
            "number": 3,
            "target": "fx.brightness",
            "curve": "square",
            "soft_takeover": False,
        },
    )
    router.handle(PORT, cc(1, 127))
    assert store.get("fx.hue.shift") == pytest.approx(360.0)
    router.handle(PORT, cc(2, 0))
    assert store.get("fx.saturation") == pytest.approx(1.5)
    router.handle(PORT, cc(3, 64))
    assert store.get("fx.brightness") == pytest.approx(2.0 * (64 / 127) ** 2)


def test_channel_and_device_filters():
    router, store, _ = router_for(
        {
            "control": "cc",
            "number": 1,
            "channel": 2,
            "device": "nanokontrol",
            "target": "fx.hue.shift",
            "soft_takeover": False,
        }
    )
    assert not router.handle(PORT, cc(1, 127, channel=0))
    assert not router.handle("other:port", cc(1, 127, channel=1))
    assert router.handle(PORT, cc(1, 127, channel=1))


def test_14_bit_cc_combines_msb_and_lsb():
    router, store, _ = router_for(
        {"control": "cc14", "number": 7, "target": "fx.hue.shift", "soft_takeover": False}
    )
    router.handle(PORT, cc(7, 64))  # MSB before any LSB: 7-bit value meanwhile
    assert store.get("fx.hue.shift") == pytest.approx(360 * 64 / 127)
    router.handle(PORT, cc(39, 100))  # LSB completes it
    assert store.get("fx.hue.shift") == pytest.approx(360 * (64 * 128 + 100) / 16383)
    router.handle(PORT, cc(7, 10))  # later MSBs wait for their LSB
    assert store.get("fx.hue.shift") == pytest.approx(360 * (64 * 128 + 100) / 16383)
    router.handle(PORT, cc(39, 0))
    assert store.get("fx.hue.shift") == pytest.approx(360 * 1280 / 16383)


@pytest.mark.parametrize(
    "encoding, up, down",
    [("twos_complement", 1, 127), ("binary_offset", 65, 63), ("sign_magnitude", 1, 65)],
)
def test_relative_encoders(encoding, up, down):
    assert decode_relative(up, encoding) == 1 and decode_relative(down, encoding) == -1
    router, store, _ = router_for(
        {"control": "cc", "number": 9, "target": "fx.hue.shift", "encoding": encoding}
    )
    start = store.get("fx.hue.shift")
    for _ in range(10):
        router.handle(PORT, cc(9, up))
    assert store.get("fx.hue.shift") == pytest.approx(start + 10 * 360 / 127, abs=1e-3)
    for _ in range(4):
        router.handle(PORT, cc(9, down))
    assert store.get("fx.hue.shift") == pytest.approx(start + 6 * 360 / 127, abs=1e-3)


def test_soft_takeover_waits_for_pickup_then_follows_fast_moves():
    router, store, _ = router_for({"control": "cc", "number": 1, "target": "fx.saturation"})
    store.set("fx.saturation", 1.0)  # the preset's value: halfway on the knob's travel
    router.handle(PORT, cc(1, 10))
    router.handle(PORT, cc(1, 30))
    assert store.get("fx.saturation") == 1.0  # the knob is far below: no jump
    router.handle(PORT, cc(1, 70))  # crossed the value: picked up
    assert store.get("fx.saturation") == pytest.approx(2 * 70 / 127)
    router.handle(PORT, cc(1, 0))  # owned: a fast sweep passes straight through
    assert store.get("fx.saturation") == 0.0
    store.set("fx.saturation", 2.0)  # someone else moved it (UI, preset)
    router.handle(PORT, cc(1, 5))
    assert store.get("fx.saturation") == 2.0  # pick-up needed again
    router.handle(PORT, cc(1, 126))  # within PICKUP of the value
    assert store.get("fx.saturation") == pytest.approx(2 * 126 / 127)


def test_buttons_momentary_and_toggle_and_note_velocity():
    router, store, _ = router_for(
        {"control": "note", "number": 40, "target": "fx.flash", "button": "momentary"},
        {"control": "cc", "number": 41, "target": "motion.push", "button": "toggle"},
        {"control": "note", "number": 42, "target": "fx.feedback.amount"},
    )
    router.handle(PORT, decode([0x90, 40, 90]))
    assert store.get("fx.flash") == 1.0
    router.handle(PORT, decode([0x80, 40, 0]))
    assert store.get("fx.flash") == 0.0
    router.handle(PORT, cc(41, 127))
    router.handle(PORT, cc(41, 0))
    assert store.get("motion.push") == 1.0
    router.handle(PORT, cc(41, 127))
    assert store.get("motion.push") == 0.0
    router.handle(PORT, decode([0x90, 42, 127]))
    assert store.get("fx.feedback.amount") == pytest.approx(0.98)


def test_triggers_from_notes_programs_and_cc_presses():
    router, _, fired = router_for(
        {"control": "note", "number": 36, "target": "trigger:tap"},
        {"control": "program", "number": 3, "target": "trigger:preset", "argument": "cell-strobe"},
        {"control": "cc", "number": 45, "target": "trigger:resync"},
    )
    router.handle(PORT, decode([0x90, 36, 100]))
    router.handle(PORT, decode([0x80, 36, 0]))  # release: nothing
    router.handle(PORT, decode([0xC0, 3]))
    router.handle(PORT, cc(45, 127))
    router.handle(PORT, cc(45, 127))  # held: one press
    router.handle(PORT, cc(45, 0))
    assert fired == [
        Trigger("tap", "", 100),
        Trigger("preset", "cell-strobe", 127),
        Trigger("resync", "", 127),
    ]


def test_a_bad_entry_is_named_and_the_rest_of_the_map_loads(tmp_path):
    registry = build_registry()
    path = tmp_path / "map.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "name": "mine",
                "bindings": [
                    {"control": "cc", "number": 1, "target": "fx.hue.shift"},
                    {"control": "cc", "number": 2, "target": "fx.nope"},
                    {"control": "knob", "number": 3, "target": "fx.saturation"},
                    {"control": "cc", "number": 4, "target": "trigger:explode"},
                    {"control": "cc", "number": 5, "target": "fx.saturation", "min": 0, "max": 9},
                ],
            }
        )
    )
    cmap, problems = load_map(path, registry)
    assert [b.number for b in cmap.bindings] == [1]
    assert len(problems) == 4
    assert "binding 2 (cc 2 -> fx.nope): unknown parameter 'fx.nope'" in problems[0]
    assert "binding 3" in problems[1] and "control" in problems[1]
    assert "unknown trigger 'explode'" in problems[2]
    assert "outside fx.saturation's range" in problems[3]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ('{"name": "x", "schema_version": 9}', "schema_version 9"),
        ("[]", "a JSON object"),
        ('{"bindings": []}', "name"),
    ],
)
def test_unusable_map_files_are_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        load_map(path, build_registry())


def test_save_and_load_round_trip(tmp_path):
    registry = build_registry()
    cmap, _ = parse_map(
        {
            "name": "x",
            "bindings": [
                {"control": "cc14", "number": 3, "target": "fx.hue.shift", "curve": "smooth"}
            ],
        },
        registry,
        "t",
    )
    save_map(cmap, tmp_path / "x.json")
    again, problems = load_map(tmp_path / "x.json", registry)
    assert again == cmap and problems == []


def test_learn_then_commit_or_cancel():
    registry = build_registry()
    base, _ = parse_map(
        {"name": "x", "bindings": [{"control": "cc", "number": 1, "target": "fx.saturation"}]},
        registry,
        "t",
    )
    session = LearnSession(base, registry)
    session.arm("fx.hue.shift")
    binding = session.offer(PORT, cc(1, 40, channel=2))
    assert binding.device == "nanoKONTROL2:nanoKONTROL2 MIDI 1" and binding.channel == 3
    assert [b.target for b in session.preview().bindings] == ["fx.saturation", "fx.hue.shift"]
    assert session.offer(PORT, cc(1, 41)) is None  # disarmed after one control
    assert session.cancel() == base
    session.arm("fx.hue.shift")
    session.offer(PORT, cc(5, 40))
    session.offer(PORT, cc(37, 3))  # its LSB: a 14-bit control
    session.arm("trigger:flash")
    session.offer(PORT, decode([0x90, 36, 99]))
    committed = session.commit()
    assert [(b.control, b.number, b.target) for b in committed.bindings] == [
        ("cc", 1, "fx.saturation"),
        ("cc14", 5, "fx.hue.shift"),
        ("note", 36, "trigger:flash"),
    ]
    session.unbind("fx.saturation")
    assert [b.target for b in session.commit().bindings] == ["fx.hue.shift", "trigger:flash"]
    with pytest.raises(ValueError):
        session.arm("fx.nope")


def test_device_name_drops_alsa_numbers():
    assert device_name(PORT) == "nanoKONTROL2:nanoKONTROL2 MIDI 1"
    assert device_name("sender:out") == "sender:out"


@pytest.mark.parametrize("bpm", [120.0, 174.0])
def test_clock_locks_tempo_and_phase_within_two_beats_despite_jitter(bpm):
    rng = np.random.default_rng(1)
    follower = MidiClockFollower()
    follower.handle(MidiMessage("start"), 0.0)
    period = 60.0 / bpm / PPQN
    t0 = 1.0
    reading = None
    for k in range(2 * PPQN + 1):  # two beats and the first tick of the third
        arrival = t0 + k * period + abs(rng.normal(0, 0.003))  # late by JACK cycles
        reading = follower.handle(MidiMessage("clock"), arrival) or reading
    assert abs(reading.observation.bpm - bpm) <= 0.5
    assert reading.beat == 2
    assert abs(reading.observation.last_beat_s - (t0 + 2 * 60 / bpm)) < 0.005


def test_song_position_and_continue_place_the_beat_count():
    follower = MidiClockFollower()
    follower.handle(MidiMessage("song_position", number=16), 0.0)  # bar 2 of 4/4, 16ths
    follower.handle(MidiMessage("continue"), 0.0)
    reading = None
    for k in range(24):
        reading = follower.handle(MidiMessage("clock"), 1.0 + k * 0.02) or reading
    assert follower.running and reading.beat == 4


def test_a_preset_overrides_bindings_of_the_same_control():
    from app.midi.mapping import with_overrides

    registry = build_registry()
    base, _ = parse_map(
        {
            "name": "x",
            "bindings": [
                {"control": "cc", "number": 1, "target": "fx.saturation"},
                {"control": "cc", "number": 2, "target": "fx.hue.shift"},
            ],
        },
        registry,
        "t",
    )
    merged, problems = with_overrides(
        base,
        [
            {"control": "cc", "number": 1, "target": "fx.kaleido.rotate"},
            {"control": "cc", "number": 3, "target": "fx.nope"},
        ],
        registry,
        "preset p: midi",
    )
    assert [(b.number, b.target) for b in merged.bindings] == [
        (2, "fx.hue.shift"),
        (1, "fx.kaleido.rotate"),
    ]
    assert problems == [
        "preset p: midi: binding 2 (cc 3 -> fx.nope): unknown parameter 'fx.nope'; skipped"
    ]


def test_the_shipped_controller_maps_load_whole_and_give_each_control_one_job():
    from app.midi.mapping import CONTROLLER_MAPS_DIR, TRIGGER_PREFIX, TRIGGERS

    registry = build_registry()
    paths = sorted(CONTROLLER_MAPS_DIR.glob("*.json"))
    assert paths
    for path in paths:
        cmap, problems = load_map(path, registry)
        assert problems == [], path
        controls = [(b.device, b.channel, b.control, b.number) for b in cmap.bindings]
        assert len(set(controls)) == len(controls), path
        for b in cmap.bindings:
            assert b.target in registry or b.target.removeprefix(TRIGGER_PREFIX) in TRIGGERS
