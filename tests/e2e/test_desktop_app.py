"""`python main.py` under Xvfb with a JACK dummy server: the real window, real screenshots."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.io.jack import jack_available, jack_server
from tests.xvfb import screenshot, xvfb, xvfb_available

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (xvfb_available() and jack_available()),
                                 reason="needs Xvfb, ImageMagick and jackd (make test "
                                        "installs them as root)")]
ROOT = Path(__file__).resolve().parents[2]


def start_app(display: str, *args: str, config: Path | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, PYTHONUNBUFFERED="1")
    if config is not None:  # where it keeps what it remembers (QSettings)
        env["XDG_CONFIG_HOME"] = str(config)
    return subprocess.Popen([sys.executable, "main.py", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def shot(display: str, path: Path) -> np.ndarray:
    return np.asarray(Image.open(screenshot(display, path)).convert("RGB"))


def test_main_py_opens_a_window_with_moving_pictures(tmp_path):
    """... and SIGTERM (or Ctrl-C) closes it as Quit does: the layout is remembered, work
    in flight is waited for, and the process exits cleanly."""
    with jack_server(), xvfb() as display:
        app = start_app(display, config=tmp_path / "config")
        try:
            line = app.stdout.readline()
            assert "window open" in line, line + app.stderr.read()
            first = shot(display, tmp_path / "a.png")
            deadline = time.monotonic() + 60
            while first.std() <= 10 and time.monotonic() < deadline:  # window still mapping
                first = shot(display, tmp_path / "a.png")
            time.sleep(1.0)  # what is asked: two screenshots a second apart
            second = shot(display, tmp_path / "b.png")
        finally:
            app.terminate()
            out, err = app.communicate(timeout=30)
    assert app.returncode == 0, err
    assert "Traceback" not in err
    assert "geometry" in (tmp_path / "config" / "latentvj" / "latentvj.conf").read_text()
    assert first.std() > 10  # a window with a picture, not an empty screen
    changed = np.abs(first.astype(int) - second).max(axis=2) > 16
    assert changed.mean() > 0.02, "the preview did not move in a second"
