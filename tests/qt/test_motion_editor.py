"""The motion editor and the transport (pytest-qt, offscreen) on a real live engine playing
the demo track: keyframes captured, picked from seeds, reordered and deleted reach the
playing motion and the saved preset; the mode form reaches the motion; Play / Stop."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from tests.qt.window import pixels, wait_frames

pytestmark = pytest.mark.slow


def settled(qtbot, panel) -> None:
    """The editor's edits and thumbnails are done (they are drawn while it is shown)."""
    panel.window().motion_dock.raise_()
    qtbot.waitUntil(
        lambda: panel.isVisible() and panel.busy == 0 and not any(panel._stale.values()),
        timeout=20_000,
    )


def test_keyframes_captured_picked_reordered_and_deleted(qtbot, window, tmp_path):
    panel, engine = window.motion, window.engine
    settled(qtbot, panel)
    start = np.array(engine.keyframes)
    assert panel.keyframes.count() == len(start) == 8  # the preset's seed keyframes
    assert all(not panel.keyframes.item(i).icon().isNull() for i in range(len(start)))
    assert all(not b.icon().isNull() for b in panel.seed_buttons)

    _, shown = engine.frames.get()
    qtbot.mouseClick(panel.buttons["Capture"], Qt.MouseButton.LeftButton)
    settled(qtbot, panel)
    captured = np.array(engine.keyframes)
    assert len(captured) == 9 and np.allclose(captured[:8], start)
    assert np.linalg.norm(captured[8] - shown.latent) < 1.0  # the picture that was shown

    seed, z = panel.seeds[2]
    panel.seed_buttons[2].click()
    settled(qtbot, panel)
    assert np.array_equal(np.array(engine.keyframes)[9], z) and panel.keyframes.count() == 10

    panel.keyframes.setCurrentRow(9)
    qtbot.mouseClick(panel.buttons["Up"], Qt.MouseButton.LeftButton)
    settled(qtbot, panel)
    order = np.array(engine.keyframes)
    assert np.array_equal(order[8], z) and np.allclose(order[9], captured[8])
    panel.keyframes.setCurrentRow(0)
    qtbot.mouseClick(panel.buttons["Delete"], Qt.MouseButton.LeftButton)
    settled(qtbot, panel)
    assert np.allclose(np.array(engine.keyframes), order[1:])
    assert engine.is_dirty()
    qtbot.waitUntil(lambda: window.windowTitle().endswith("*"), timeout=5_000)

    # the picture keeps moving through the edited keyframes, and they are saved
    wait_frames(qtbot, window, 5)
    assert pixels(window.preview).std() > 5
    saved = tmp_path / "mine.json"
    engine.save_preset(saved, "mine")
    vectors = json.loads(saved.read_text())["motion"]["vectors"]
    assert np.allclose(vectors, order[1:])


def test_motion_mode_form_reaches_the_playing_motion(qtbot, window):
    panel, engine = window.motion, window.engine
    settled(qtbot, panel)
    mode = panel.form.widgets["path"]
    mode.setCurrentText("walk")
    mode.activated.emit(mode.currentIndex())  # as a user's choice does
    panel.form.widgets["walk.max_speed"].setValue(1.5)
    qtbot.waitUntil(
        lambda: engine.patch.motion.path == "walk" and engine.patch.motion.walk.max_speed == 1.5,
        timeout=10_000,
    )
    settled(qtbot, panel)
    assert engine.worker.latest_renderer.motion.spec.path == "walk"
    wait_frames(qtbot, window, 5)
    assert window.preview.image() is not None


def test_a_bad_motion_is_a_notice_and_the_old_one_plays_on(qtbot, window):
    panel, engine = window.motion, window.engine
    settled(qtbot, panel)
    before = engine.patch.motion
    panel.form.widgets["transition_beats"].setValue(0.0)
    panel.form.widgets["hold_beats"].setValue(0.0)  # keyframes need one of them above 0
    qtbot.waitUntil(
        lambda: "transition_beats + hold_beats" in window.notices.text(), timeout=10_000
    )
    settled(qtbot, panel)
    assert engine.patch.motion == before
    assert panel.form.widgets["transition_beats"].value() == before.transition_beats  # again


def test_play_stop_blacks_out_and_rewinds_the_file(qtbot, window):
    engine = window.engine
    assert window.play.isChecked() and window.play.text() == "Stop"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: pixels(window.preview).max() == 0, timeout=5_000)
    assert not engine.status().playing and not engine.audio.playing
    qtbot.waitUntil(lambda: window.play.text() == "Play", timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: pixels(window.preview).max() > 0, timeout=5_000)
    assert engine.audio.playing and engine.status().playing


def test_a_model_of_another_latent_size_drops_the_editors_keyframes(qtbot, window, tmp_path):
    from tests.qt.test_presets_ui import dcgan_checkpoint

    panel, engine = window.motion, window.engine
    settled(qtbot, panel)
    panel.seed_buttons[0].click()
    settled(qtbot, panel)
    assert engine.patch.motion.vectors is not None and engine.keyframes.shape[1] == 64
    engine.set_generator("dcgan", path=str(dcgan_checkpoint(tmp_path / "g.pt")))
    assert engine.patch.generator.kind == "dcgan" and engine.patch.motion.vectors is None
    assert engine.keyframes.shape[1] == 100  # drawn from the seed in the model's space
    qtbot.waitUntil(
        lambda: "did not fit the new model's latent space" in window.notices.text(), timeout=5_000
    )
    settled(qtbot, panel)  # the editor shows the new keyframes and redraws its seeds
    assert panel.keyframes.count() == len(engine.keyframes)
    assert all(len(z) == 100 for _, z in panel.seeds)
