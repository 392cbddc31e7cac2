"""The Train panel (pytest-qt, offscreen) on a real live engine: a tiny job trains from the
panel with progress, losses and samples shown, Stop keeps what was made, and the
checkpoint plays in the synth."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.qt.window import wait_frames

pytestmark = pytest.mark.slow
TINY = {
    "output_width": 16,
    "output_height": 16,
    "nbr_of_layers_g": 3,
    "nbr_of_layers_d": 3,
    "gf_dim": 8,
    "df_dim": 8,
    "grid_width": 2,
    "grid_height": 2,
    "video_length": 0.25 / 60,
    "fps": 20.0,
}


@pytest.fixture
def images(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(24):
        Image.fromarray(rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def fill(panel, images, out, steps):
    panel.data.setText(str(images))
    panel.name.setText("panel")
    panel.out.setText(str(out))
    panel.steps.setValue(steps)
    for field, value in TINY.items():
        panel.form.widgets[field].setValue(value)


def test_train_from_the_panel_then_play_the_checkpoint(qtbot, window, images, tmp_path):
    panel = window.train
    fill(panel, images, tmp_path / "out", 12)
    panel.buttons["Start"].click()
    assert not panel.buttons["Start"].isEnabled()
    qtbot.waitUntil(
        lambda: panel.session.finished.is_set() and not panel.timer.isActive(), timeout=120_000
    )
    assert panel.session.error is None
    assert panel.progress.value() == 12 and panel.progress.maximum() == 12
    assert len(panel.session.losses) == 12 and panel.d_curve.getData()[0] is not None
    assert panel.sample.pixmap() is not None and not panel.sample.pixmap().isNull()
    assert (tmp_path / "out" / "panel.pt").exists() and (tmp_path / "out" / "panel.mp4").exists()
    assert "trained:" in window.notices.text()
    panel.buttons["Play checkpoint"].click()
    qtbot.waitUntil(lambda: window.engine.patch.generator.kind == "dcgan", timeout=20_000)
    wait_frames(qtbot, window, 3)


def test_stop_keeps_the_checkpoint_and_a_bad_field_is_a_notice(qtbot, window, images, tmp_path):
    panel = window.train
    fill(panel, images, tmp_path / "out", 100_000)
    panel.form.widgets["video_length"].setValue(10.0)
    panel.buttons["Start"].click()
    qtbot.waitUntil(lambda: panel.session.step >= 3, timeout=60_000)
    panel.buttons["Stop"].click()
    qtbot.waitUntil(
        lambda: panel.session.finished.is_set() and not panel.timer.isActive(), timeout=60_000
    )
    step = torch.load(tmp_path / "out" / "panel.pt", weights_only=True)["training"]["step"]
    assert 3 <= step < 100_000 and panel.buttons["Start"].isEnabled()
    panel.name.setText("bad name!")
    panel.buttons["Start"].click()
    assert window.notices.text().startswith("Train: name:")
