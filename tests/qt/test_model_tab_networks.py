"""The Model tab plays a StyleGAN pickle and a BigGAN folder, and a refused pickle is a
notice while the current network keeps playing; the W-space parameters are in the panel."""

from __future__ import annotations

import os
import pickle

import pytest

from tests.gan_fixtures import BIGGAN_FOLDER, FIXTURES, needs_fixtures

pytestmark = [pytest.mark.slow, needs_fixtures]


class _SystemCall:
    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_model_tab_plays_stylegan_and_biggan_and_refuses_a_malicious_pickle(
    qtbot, window, tmp_path
):
    panel = window.models
    panel.model.setCurrentText("StyleGAN2 / 3 pickle (.pkl)")
    panel.path.setText(str(FIXTURES / "stylegan3-t.pkl"))
    panel.buttons["Load"].click()
    qtbot.waitUntil(lambda: window.engine.patch.generator.kind == "stylegan", timeout=30_000)
    qtbot.waitUntil(lambda: not panel.busy.isVisible(), timeout=10_000)
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"G_ema": _SystemCall(tmp_path / "ran")}))
    panel.path.setText(str(evil))
    panel.buttons["Load"].click()
    qtbot.waitUntil(
        lambda: "refused: the file calls posix.system" in window.notices.text(), timeout=30_000
    )
    assert not (tmp_path / "ran").exists()
    assert window.engine.patch.generator.path.endswith("stylegan3-t.pkl")  # still playing
    panel.model.setCurrentText("BigGAN-deep folder")
    panel.path.setText(str(BIGGAN_FOLDER))
    panel.buttons["Load"].click()
    qtbot.waitUntil(lambda: window.engine.patch.generator.kind == "biggan", timeout=30_000)
    assert "gan.truncation" in window.engine.registry.ids()
