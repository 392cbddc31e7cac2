"""The output window on a second screen: a separate process under Qt's offscreen platform
configured with two screens (a laptop panel and a projector to its right)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCREENS = {
    "synchronousWindowSystemEvents": True,
    "windowFrameMargins": False,
    "screens": [
        {
            "name": "laptop",
            "x": 0,
            "y": 0,
            "width": 1280,
            "height": 800,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        },
        {
            "name": "projector",
            "x": 1280,
            "y": 0,
            "width": 1920,
            "height": 1080,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        },
    ],
}
APP = """
import sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv)
from app.live.engine import LiveEngine, LiveOptions
from app.ui.main_window import MainWindow
engine = LiveEngine(LiveOptions(play="demo", size=(64, 36))).start()
window = MainWindow(engine)
window.show()
print("default choice:", window.screens.currentText())
window.toggle_output()
out = window.output
print("output on:", out.screen().name(), out.geometry().getRect(), out.isFullScreen())
window.screens.setCurrentIndex(0)
window.toggle_output(); window.toggle_output()  # hide, then show on the laptop
print("moved to:", out.screen().name(), out.geometry().getRect())
window.close()
engine.stop()
"""


def test_output_goes_fullscreen_on_the_chosen_screen(tmp_path):
    config = tmp_path / "screens.json"
    config.write_text(json.dumps(SCREENS))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    result = subprocess.run(
        [sys.executable, "-c", APP], cwd=ROOT, env=env, text=True, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "default choice: 2: projector 1920x1080"  # not the window's screen
    assert lines[1] == "output on: projector (1280, 0, 1920, 1080) True"
    assert lines[2] == "moved to: laptop (0, 0, 1280, 800)"
