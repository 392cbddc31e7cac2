"""The launcher's logic: key rows to cells, a set's pages, thumbnails cached until a file
changes, a cue landing on the next bar, and cells cued from MIDI pads and words (on the
test's own sources: no sound card, MIDI system or Qt)."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from app.core.errors import UserError
from app.core.presets import SHIPPED_PRESETS_DIR
from app.live import LiveEngine, LiveOptions
from app.live.launcher import CELLS, PresetSet, Thumbnails, key_cell
from app.midi.messages import MidiMessage
from tests.fake_rig import FakeRig
from tests.waiting import wait_until


def make_set(folder, count: int):
    """``count`` presets (copies of the shipped ones, renamed) in ``folder``."""
    folder.mkdir(exist_ok=True)
    shipped = sorted(
        p
        for p in SHIPPED_PRESETS_DIR.glob("*.json")
        if json.loads(p.read_text())["generator"]["kind"] == "field"
    )
    for i in range(count):
        data = json.loads(shipped[i % len(shipped)].read_text())
        data["name"] = f"look-{i:02d}"
        (folder / f"look-{i:02d}.json").write_text(json.dumps(data))
    return folder


def test_the_four_key_rows_cover_the_grid_left_to_right():
    assert [key_cell(k) for k in "18qiAk,z"] == [0, 7, 8, 15, 16, 23, 31, 24]
    assert key_cell("9") is None and key_cell("p") is None and key_cell("F2") is None


def test_a_set_is_paged_by_32_and_follows_its_folder(tmp_path):
    folder = make_set(tmp_path / "set", 40)
    preset_set = PresetSet(folder)
    assert preset_set.pages == 2 and len(preset_set.cells()) == CELLS
    assert preset_set.turn(1) == 1 and [c.name for c in preset_set.cells()] == [
        f"look-{i:02d}" for i in range(32, 40)
    ]
    assert preset_set.turn(1) == 1  # no page beyond the last
    for i in range(32, 40):
        (folder / f"look-{i:02d}.json").unlink()
    assert preset_set.rescan() and preset_set.pages == 1 and preset_set.page == 0
    assert not preset_set.rescan()
    with pytest.raises(UserError, match="not a folder"):
        PresetSet(tmp_path / "nowhere")


def test_thumbnails_are_drawn_once_and_again_when_the_file_changes(tmp_path):
    folder = make_set(tmp_path / "set", 2)
    drawn = []

    def draw(path, size):
        drawn.append(path.name)
        return np.full((size[1], size[0], 3), len(drawn), np.uint8)

    thumbnails = Thumbnails(draw)
    preset_set = PresetSet(folder)
    cell = preset_set.cell(0)
    first = thumbnails.picture(cell, (16, 9))
    assert thumbnails.picture(cell, (16, 9)) is first and drawn == ["look-00.json"]
    path = folder / "look-00.json"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # saved again
    preset_set.rescan()
    changed = preset_set.cell(0)
    assert thumbnails.cached(changed, (16, 9)) is None
    assert thumbnails.picture(changed, (16, 9))[0, 0, 0] == 2


@pytest.fixture
def session(tmp_path):
    rig = FakeRig()
    engine = LiveEngine(
        LiveOptions(preset="nebula-drift", size=(32, 18), midi=["*"]), rig=rig
    ).start()
    engine.launcher.open(make_set(tmp_path / "set", 3))
    yield engine, rig
    engine.stop()


def landing(engine):
    """The patch swaps the render thread makes, as (start beat, preset folder, name)."""
    swaps = []
    engine.worker.on_event = lambda event: swaps.append(event) if event["type"] == "patch" else None
    return swaps


def test_a_cued_cell_lands_on_the_next_bar_with_the_sets_crossfade(session):
    engine, rig = session
    swaps = landing(engine)
    engine.launcher.fade_beats = 2.0
    rig.feeds[0].write(np.zeros(rig.feeds[0].samplerate, np.float32))  # the clock runs
    engine.launcher.cue_cell(1)
    assert engine.launcher.cued().name == "look-01.json"
    wait_until(lambda: engine.preset_on_screen().name == "look-01.json", 20, "the cue to land")
    assert engine.launcher.cued() is None
    (swap,) = swaps
    assert swap["start"] % 4 == 0 and swap["fade_beats"] == 2.0  # a bar of four beats
    assert swap["patch"]["name"] == "look-01"


def test_pads_and_words_cue_cells(session):
    engine, rig = session
    engine.command("learn trigger:cue 3")
    rig.inputs.send(MidiMessage("note_on", 9, 40, 100))
    engine.command("commit")
    binding = engine.midi.controller_map.bindings[-1]
    assert (binding.target, binding.argument, binding.number) == ("trigger:cue", "3", 40)
    rig.inputs.send(MidiMessage("note_on", 9, 40, 100))  # the pad cues cell 3
    assert engine.patch.name == "look-02"
    engine.command("cue 1")
    assert engine.patch.name == "look-00"
    engine.command("cue plasma-tunnel")  # a preset by name, from any folder
    assert engine.patch.name == "plasma-tunnel"
    with pytest.raises(UserError, match="cell 9 of this page is empty"):
        engine.command("cue 9")


def test_a_broken_preset_in_a_set_is_one_line_and_the_rest_draw(session, tmp_path):
    engine, _ = session
    folder = engine.launcher.set.folder
    (folder / "broken.json").write_text("{")
    engine.launcher.set.rescan()
    cells = {c.name: c for c in engine.launcher.cells()}
    with pytest.raises(UserError, match="broken.json"):
        engine.launcher.thumbnails.picture(cells["broken"], (32, 18))
    picture = engine.launcher.thumbnails.picture(cells["look-00"], (32, 18))
    assert picture.shape == (18, 32, 3) and picture.max() > 0
    shutil.rmtree(folder)


def test_without_a_chosen_set_cues_play_the_shipped_set(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTVJ_PRESETS_DIR", str(tmp_path / "none-yet"))
    engine = LiveEngine(LiveOptions(preset="plasma-tunnel", size=(32, 18)), rig=FakeRig()).start()
    try:
        engine.command("cue 1")  # typed on stdin before any window chose a set
        first = sorted(SHIPPED_PRESETS_DIR.glob("*.json"), key=lambda p: p.name.lower())[0]
        assert engine.launcher.set_label() == "Shipped presets"
        assert engine.preset_path.resolve() == first.resolve()
    finally:
        engine.stop()
