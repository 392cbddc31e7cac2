"""The preset browser and undo through the window (pytest-qt, offscreen, real engine)."""

from __future__ import annotations

import json

import pytest
from PyQt6.QtCore import Qt

from app.live.engine import LiveEngine, LiveOptions
from app.ui.main_window import MainWindow

pytestmark = pytest.mark.slow


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTVJ_PRESETS_DIR", str(tmp_path / "mine"))
    engine = LiveEngine(LiveOptions(play="demo", size=(96, 54))).start()
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    try:
        yield win
    finally:
        win.close()
        engine.stop()


def item_named(win, label):
    items = win.presets.list.findItems(label, Qt.MatchFlag.MatchExactly)
    assert items, [win.presets.list.item(i).text() for i in range(win.presets.list.count())]
    return items[0]


def test_edit_marks_dirty_undo_redo_and_save_as(qtbot, window, tmp_path):
    slider = window.params.sliders["fx.hue.shift"]
    slider.setValue(500)  # half the range: 180 degrees
    store = window.engine.store
    assert store.get("fx.hue.shift") == pytest.approx(180.0)
    qtbot.waitUntil(lambda: window.windowTitle().endswith(" *"), timeout=5_000)
    window.params.undo.undo()
    assert store.get("fx.hue.shift") == pytest.approx(window.engine.preset_values()["fx.hue.shift"])
    window.params.undo.redo()
    assert store.get("fx.hue.shift") == pytest.approx(180.0)

    window.presets.name.setText("My Hue Trip")
    window.presets.buttons["Save as"].click()
    saved = tmp_path / "mine" / "My-Hue-Trip.json"
    data = json.loads(saved.read_text())
    assert data["name"] == "My Hue Trip" and data["params"]["fx.hue.shift"] == pytest.approx(180)
    qtbot.waitUntil(lambda: window.windowTitle() == "latentvj - My Hue Trip", timeout=5_000)
    assert item_named(window, "My-Hue-Trip (mine)").isSelected()


def test_load_rename_delete_and_a_bad_file(qtbot, window, tmp_path):
    window.presets.list.itemDoubleClicked.emit(item_named(window, "cell-strobe"))
    qtbot.waitUntil(lambda: window.notices.text() == "playing cell-strobe", timeout=10_000)
    assert window.engine.patch.name == "cell-strobe"
    window.presets.buttons["Save"].click()  # shipped: saved as a copy under mine
    assert (tmp_path / "mine" / "cell-strobe.json").is_file()
    window.presets.refresh()
    window.presets.list.setCurrentItem(item_named(window, "cell-strobe (mine)"))
    window.presets.name.setText("strobe two")
    window.presets.buttons["Rename"].click()
    assert not (tmp_path / "mine" / "cell-strobe.json").exists()
    assert json.loads((tmp_path / "mine" / "strobe-two.json").read_text())["name"] == "strobe two"
    assert window.engine.patch.name == "strobe two"

    (tmp_path / "mine" / "broken.json").write_text("{nope")
    window.presets.refresh()
    window.presets.list.itemDoubleClicked.emit(item_named(window, "broken (mine)"))
    qtbot.waitUntil(lambda: "invalid JSON" in window.notices.text(), timeout=10_000)
    assert window.engine.patch.name == "strobe two"  # still playing

    window.presets.list.setCurrentItem(item_named(window, "broken (mine)"))
    window.presets.buttons["Delete"].click()
    assert not (tmp_path / "mine" / "broken.json").exists()
    window.presets.list.setCurrentItem(item_named(window, "nebula-drift"))
    window.presets.buttons["Delete"].click()
    assert "cannot be deleted" in window.notices.text()


def dcgan_checkpoint(path, corrupt: bool = False):
    from app.engine.device import resolve_placement
    from app.engine.generators.dcgan import DCGANConfig, DCGANPlayer, save_checkpoint

    model = DCGANPlayer.random(
        DCGANConfig(nbr_of_layers_g=3, gf_dim=4, output_width=32, output_height=32),
        resolve_placement("cpu"),
    ).model
    save_checkpoint(path, model)
    if corrupt:
        path.write_bytes(path.read_bytes()[:200])
    return path


def test_model_picker_loads_a_checkpoint_and_survives_a_corrupt_one(qtbot, window, tmp_path):
    panel = window.models
    panel.model.setCurrentText("DCGAN checkpoint")
    panel.path.setText(str(dcgan_checkpoint(tmp_path / "g.pt")))
    panel.buttons["Load"].click()
    qtbot.waitUntil(lambda: window.engine.patch.generator.kind == "dcgan", timeout=20_000)
    qtbot.waitUntil(lambda: not panel.busy.isVisible(), timeout=5_000)
    panel.path.setText(str(dcgan_checkpoint(tmp_path / "bad.pt", corrupt=True)))
    panel.buttons["Load"].click()
    qtbot.waitUntil(lambda: "bad.pt" in window.notices.text(), timeout=20_000)
    assert window.engine.patch.generator.path.endswith("g.pt")  # still playing
    panel.model.setCurrentText("built-in: crystal")
    panel.buttons["Load"].click()
    qtbot.waitUntil(
        lambda: (
            window.engine.patch.generator.look == "crystal"
            and window.engine.patch.generator.kind == "field"
        ),
        timeout=20_000,
    )


def test_switching_presets_and_models_never_stalls_the_window(qtbot, window, tmp_path):
    """The event loop's longest gap while four presets and a model load one after another:
    a 5 ms timer records when it runs. The goal is no stall over 50 ms; the bound is 75 ms
    because on 2 cores the loading threads' GIL turns alone have reached 51 ms (CI). A
    preset's renderer builds in 5-21 ms, so this guards against model loads and longer
    work reaching the GUI thread, not against one preset build there."""
    import time

    from PyQt6.QtCore import QTimer

    checkpoint = dcgan_checkpoint(tmp_path / "g.pt")
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(5)
    for name in ("cell-strobe", "plasma-tunnel", "bloom-chroma", "crystal-kaleido"):
        window.presets.list.itemDoubleClicked.emit(item_named(window, name))
        qtbot.waitUntil(lambda n=name: window.notices.text() == f"playing {n}", timeout=10_000)
        qtbot.waitUntil(lambda: window.engine.worker.frames.get()[1] is not None)
    window.models.model.setCurrentText("DCGAN checkpoint")
    window.models.path.setText(str(checkpoint))
    window.models.buttons["Load"].click()
    qtbot.waitUntil(lambda: window.engine.patch.generator.kind == "dcgan", timeout=20_000)
    timer.stop()
    gaps_ms = 1e3 * (max(b - a for a, b in zip(ticks, ticks[1:])))
    print(f"longest event-loop gap while switching presets and a model: {gaps_ms:.1f} ms")
    assert gaps_ms <= 75.0


def test_the_window_remembers_its_preset_and_layout(qtbot, window, tmp_path):
    from app.ui.settings import remembered_options, restore

    window.presets.name.setText("keeper")
    window.presets.buttons["Save as"].click()
    window.resize(760, 560)
    window.close()  # remembers
    options = remembered_options(LiveOptions(), explicit=set())
    assert options.preset == str(tmp_path / "mine" / "keeper.json")
    assert (
        remembered_options(LiveOptions(preset="cell-strobe"), {"preset"}).preset == "cell-strobe"
    )  # the command line wins
    again = MainWindow(window.engine)
    qtbot.addWidget(again)
    restore(again)
    assert (again.size().width(), again.size().height()) == (760, 560)


def test_modulation_matrix_edits_play_and_save_with_the_preset(qtbot, window, tmp_path):
    from PyQt6.QtWidgets import QTableWidgetItem

    panel = window.modulation
    start = len(window.engine.patch.routes)
    assert panel.table.rowCount() == start
    window.params.on_add_route("fx.kaleido.rotate")  # the slider's right-click entry
    row = panel.table.rowCount() - 1
    panel.table.setItem(row, 0, QTableWidgetItem("lfo.saw"))
    panel.table.setItem(row, 2, QTableWidgetItem("1"))
    panel.table.add_row()  # and a bad one
    panel.table.setItem(row + 1, 0, QTableWidgetItem("audio.wobble"))
    panel.table.setItem(row + 1, 1, QTableWidgetItem("fx.hue.shift"))
    panel.buttons["Apply"].click()
    qtbot.waitUntil(lambda: len(window.engine.patch.routes) == start + 1, timeout=10_000)
    qtbot.waitUntil(lambda: "unknown source 'audio.wobble'" in window.notices.text(), timeout=5_000)
    qtbot.waitUntil(lambda: window.windowTitle().endswith(" *"), timeout=5_000)
    # the drawn kaleido angle now moves with the LFO
    seen = set()
    qtbot.waitUntil(
        lambda: (
            seen.add(round(window.engine.frames.get()[1].params.get("fx.kaleido.rotate", 0), 1))
            or len(seen) > 3
        ),
        timeout=10_000,
    )
    window.presets.name.setText("with saw")
    window.presets.buttons["Save as"].click()
    saved = json.loads((tmp_path / "mine" / "with-saw.json").read_text())
    assert saved["routes"][-1]["source"] == "lfo.saw"
    assert saved["routes"][-1]["target"] == "fx.kaleido.rotate"


def test_loading_with_a_crossfade_blends_on_the_next_beat(qtbot, window):
    window.presets.fade.setValue(2.0)
    window.presets.quantize.setCurrentText("beat")
    window.presets.list.itemDoubleClicked.emit(item_named(window, "plasma-tunnel"))
    qtbot.waitUntil(lambda: window.notices.text() == "playing plasma-tunnel", timeout=10_000)
    seen = set()

    def fading() -> bool:
        frame = window.engine.frames.get()[1]
        seen.add(round(frame.timings.get("fade", -1.0), 2))
        return any(0.0 < w < 1.0 for w in seen)

    qtbot.waitUntil(fading, timeout=10_000)  # the demo track's beats carry it through


def test_page_keys_step_through_the_presets(qtbot, window):
    window.presets.list.setCurrentItem(item_named(window, "bloom-chroma"))
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.engine.patch.name == "cell-strobe", timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.engine.patch.name == "bloom-chroma", timeout=10_000)
