"""The launcher grid in the Perform layout: every preset of a set as a thumbnail, a click
and a key cue a preset that lands on the next bar, the cued and playing cells marked, the
event loop never stalls while thumbnails are drawn, the output monitor and master fader,
and MIDI learn on the Perform layout's actions."""

from __future__ import annotations

import time

from PyQt6.QtCore import Qt, QTimer

from tests.unit.test_launcher import make_set


def perform_with_set(qtbot, window, folder):
    window.set_perform(True)
    qtbot.waitUntil(window.launcher.isVisible, timeout=5_000)
    window.launcher.open_set(folder)
    return window.launcher


def swaps_of(window):
    swaps = []
    window.engine.worker.on_event = lambda e: swaps.append(e) if e["type"] == "patch" else None
    return swaps


def test_the_grid_shows_every_preset_of_a_set_as_thumbnails(qtbot, window, tmp_path):
    launcher = perform_with_set(qtbot, window, make_set(tmp_path / "set", 36))
    names = [c.text().split("  ", 1)[1] for c in launcher.cells]
    assert (
        names == [f"look-{i:02d}" for i in range(32)] and launcher.page_label.text() == "page 1 / 2"
    )
    qtbot.waitUntil(
        lambda: not launcher.drawing and all(not c.icon().isNull() for c in launcher.cells),
        timeout=60_000,
    )
    launcher.turn(1)
    shown = [c.text().split("  ", 1)[-1] for c in launcher.cells if c.isEnabled()]
    assert shown == [f"look-{i:02d}" for i in range(32, 36)]
    (tmp_path / "set" / "look-40.json").write_text((tmp_path / "set" / "look-00.json").read_text())
    qtbot.waitUntil(lambda: launcher.cells[4].isEnabled(), timeout=5_000)  # a new file


def test_a_click_and_a_key_cue_presets_that_land_on_the_next_bar(qtbot, window, tmp_path):
    launcher = perform_with_set(qtbot, window, make_set(tmp_path / "set", 12))
    swaps = swaps_of(window)
    qtbot.mouseClick(launcher.cells[2], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: launcher.cell_state(2) == "cued", timeout=10_000)
    qtbot.waitUntil(lambda: launcher.cell_state(2) == "playing", timeout=20_000)
    assert swaps[0]["start"] % 4 == 0 and swaps[0]["patch"]["name"] == "look-02"
    qtbot.keyClick(window, Qt.Key.Key_W)  # second key row, second column: cell 10
    qtbot.waitUntil(lambda: launcher.cell_state(9) == "playing", timeout=20_000)
    assert launcher.cell_state(2) == ""
    assert swaps[1]["start"] % 4 == 0 and swaps[1]["start"] > swaps[0]["start"]
    assert swaps[1]["patch"]["name"] == "look-09"


def test_cell_keys_cue_only_in_the_perform_layout(qtbot, window, tmp_path):
    launcher = perform_with_set(qtbot, window, make_set(tmp_path / "set", 4))
    window.set_perform(False)
    before = window.engine.patch.name
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert window.engine.patch.name == before and not window.launcher.isVisible()
    window.set_perform(True)
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: window.engine.patch.name == "look-00", timeout=10_000)
    assert launcher.isVisible()


def test_drawing_thumbnails_never_stalls_the_event_loop(qtbot, window, tmp_path):
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start(5)
    launcher = perform_with_set(qtbot, window, make_set(tmp_path / "set", 32))
    assert launcher.drawing
    qtbot.waitUntil(
        lambda: not launcher.drawing and all(not c.icon().isNull() for c in launcher.cells),
        timeout=60_000,
    )
    timer.stop()
    assert len(gaps) > 20 and max(gaps[1:]) < 0.050, f"longest stall {max(gaps[1:]):.3f} s"


def test_the_output_monitor_and_the_master_fader(qtbot, window):
    window.set_perform(True)
    launcher = window.launcher
    qtbot.waitUntil(lambda: launcher.monitor.image() is not None, timeout=10_000)
    assert "closed" in launcher.monitor_label.text()
    window.output_action.trigger()
    qtbot.waitUntil(lambda: launcher.monitor_label.text().startswith("on "), timeout=5_000)
    launcher.master.setValue(0)
    assert window.engine.store.get("out.master") == 0.0
    qtbot.waitUntil(
        lambda: (
            launcher.monitor.image() is not None
            and window.output.image() is not None
            and _dark(launcher.monitor)
            and _dark(window.output)
        ),
        timeout=10_000,
    )
    window.engine.store.set("out.master", 0.5, source="midi")  # a controller moves it
    qtbot.waitUntil(lambda: launcher.master.value() == 500, timeout=5_000)
    window.output_action.trigger()


def _dark(view) -> bool:
    from tests.qt.window import pixels

    return pixels(view).max() == 0


def test_every_perform_action_has_a_key_and_midi_learn(qtbot, window):
    from PyQt6.QtWidgets import QToolBar

    bar = window.findChild(QToolBar, "transport")
    keyed = [a for a in bar.actions() if a.shortcut().toString()]
    assert len(keyed) >= 16
    for action in keyed:
        assert bar.widgetForAction(action).property("learn_target"), action.text()
    learnable = [window.launcher.cells[0], window.launcher.master]
    assert [w.property("learn_target") for w in learnable] == ["trigger:cue 1", "out.master"]
    window.engine.request_window("layout")  # what a learned trigger:window sends
    qtbot.waitUntil(lambda: window.performing, timeout=5_000)
