"""The performance window (pytest-qt, offscreen) on a real live engine playing the demo
track: frames reach the preview, controls reach the engine, and the engine's state reaches
the controls."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from tests.qt.window import pixels, wait_frames

pytestmark = pytest.mark.slow


def test_preview_shows_moving_pictures(qtbot, window):
    first = pixels(window.preview)
    wait_frames(qtbot, window, 15)
    later = pixels(window.preview)
    assert first.std() > 5 and later.std() > 5  # not blank
    assert np.abs(first.astype(int) - later).mean() > 1  # not frozen


def test_a_slider_moves_the_parameter_and_the_picture(qtbot, window):
    slider = window.params.sliders["fx.brightness"]
    slider.setValue(0)
    assert window.engine.store.get("fx.brightness") == 0.0
    qtbot.waitUntil(lambda: pixels(window.preview).max() < 8, timeout=10_000)
    qtbot.mouseDClick(slider, Qt.MouseButton.LeftButton)  # back to the preset's value
    preset = window.engine.patch.params.get("fx.brightness", 1.0)
    assert window.engine.store.get("fx.brightness") == pytest.approx(preset)


def test_store_changes_from_elsewhere_move_the_slider(qtbot, window):
    window.engine.store.set("fx.saturation", 2.0, source="midi")
    slider = window.params.sliders["fx.saturation"]
    qtbot.waitUntil(lambda: slider.value() == slider.maximum(), timeout=5_000)
    qtbot.waitUntil(lambda: slider.ghost is not None, timeout=5_000)  # the drawn value


def test_keys_play_tempo_and_panic(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.engine.analyzer.clock.source == "tap", timeout=5_000)
    qtbot.waitUntil(lambda: window.source.currentText() == "tap", timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: pixels(window.preview).max() == 0, timeout=5_000)
    assert window.blackout.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: pixels(window.preview).max() > 0, timeout=5_000)


def test_nudge_keys_shift_the_beats_and_lock_follows_the_engine(qtbot, window):
    from app.core.tempo import NUDGE_BEATS

    clock = window.engine.analyzer.clock
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.waitUntil(lambda: clock.phase_offset == pytest.approx(2 * NUDGE_BEATS), timeout=5_000)
    qtbot.waitUntil(
        lambda: window.bpm_label.text().endswith(f"+{2 * NUDGE_BEATS:.3f}"), timeout=5_000
    )
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.waitUntil(lambda: clock.phase_offset == pytest.approx(NUDGE_BEATS), timeout=5_000)
    window.engine.command("nudge -0.025")
    qtbot.waitUntil(lambda: window.bpm_label.text().endswith("BPM"), timeout=5_000)
    window.engine.command("lock")  # from elsewhere (stdin, a controller): the button shows it
    qtbot.waitUntil(window.lock.isChecked, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: not clock.locked and not window.lock.isChecked(), timeout=5_000)


def test_output_window_fills_the_chosen_screen_and_escape_hides_it(qtbot, window):
    from PyQt6.QtGui import QGuiApplication

    qtbot.keyClick(window, Qt.Key.Key_F11)
    screen = QGuiApplication.screens()[window.screens.currentIndex()]
    qtbot.waitUntil(window.output.isVisible, timeout=5_000)
    assert window.output.screen() == screen
    assert window.output.geometry() == screen.geometry()
    qtbot.waitUntil(lambda: window.output.image() is not None, timeout=5_000)
    qtbot.keyClick(window.output, Qt.Key.Key_Escape)
    assert not window.output.isVisible()


def test_hud_shows_engine_numbers(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F3)
    qtbot.waitUntil(lambda: len(window.preview.hud_lines) == 3, timeout=5_000)
    assert "fps" in window.preview.hud_lines[0] and "dBFS" in window.preview.hud_lines[2]


def test_audio_panel_scopes_follow_the_music_and_gain_reaches_the_analyzer(qtbot, window):
    window.audio_dock.raise_()
    panel = window.audio_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.beats_shown() >= 2, timeout=15_000)
    assert panel.peak_shown() > 0.05  # the demo track's waveform
    assert "BPM" in panel.tempo.text()
    before = window.engine.status().level_db
    panel.gain.setValue(-24)
    assert window.engine.input_gain == pytest.approx(10 ** (-24 / 20))
    qtbot.waitUntil(lambda: window.engine.status().level_db < before - 12, timeout=5_000)


def test_record_button_records_with_elapsed_time_and_file_name(
    qtbot, window, tmp_path, monkeypatch
):
    monkeypatch.setenv("LATENTVJ_RECORDINGS_DIR", str(tmp_path))
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.record.isChecked(), timeout=5_000)
    qtbot.waitUntil(lambda: "REC 00:01" in window.record_label.text(), timeout=10_000)
    recorder = window.engine.recorder
    assert recorder.path.name in window.record_label.text()
    window.record.trigger()  # the button stops it
    qtbot.waitUntil(lambda: recorder.result is not None, timeout=20_000)
    qtbot.waitUntil(lambda: "recorded" in window.notices.text(), timeout=5_000)
    assert not window.record.isChecked() and window.record_label.text() == ""
    assert recorder.result.error is None and recorder.result.path.parent == tmp_path
    assert recorder.result.duration_s >= 1.0
