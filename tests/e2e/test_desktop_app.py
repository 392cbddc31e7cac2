"""`python main.py` under Xvfb with a JACK dummy server: the real window, real screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.io.jack import jack_available, jack_server
from tests.xvfb import screenshot, xvfb, xvfb_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (xvfb_available() and jack_available()),
        reason="needs Xvfb, ImageMagick and jackd (make test installs them as root)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def start_app(display: str, *args: str, config: Path | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, PYTHONUNBUFFERED="1")
    if config is not None:  # where it keeps what it remembers (QSettings)
        env["XDG_CONFIG_HOME"] = str(config)
    return subprocess.Popen(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def shot(display: str, path: Path) -> np.ndarray:
    return np.asarray(Image.open(screenshot(display, path)).convert("RGB"))


# what a fresh Debian machine lacks (issue 20): Qt aborted with a message naming no package
FRESH_MACHINE_LACKS = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")


def can_remove_packages() -> bool:
    return (
        os.geteuid() == 0
        and shutil.which("dpkg") is not None
        and shutil.which("apt-get") is not None
        and shutil.which("make") is not None
    )


@pytest.mark.skipif(
    not can_remove_packages(),
    reason="removes and reinstalls Debian "
    "packages: needs root, dpkg, apt-get and make (CI has them)",
)
def test_a_machine_without_qt_xcb_libraries_is_told_and_fixed_by_the_install(tmp_path):
    """The three packages are removed first, as on a fresh machine: the check before the
    tests fails naming them, the app says which apt command fixes it (no Qt abort), and
    the install step (``make apt-test``, part of ``make test``) brings them back, after
    which the window opens with moving pictures."""
    try:
        subprocess.run(["dpkg", "--remove", *FRESH_MACHINE_LACKS], check=True, capture_output=True)
        check = subprocess.run(
            [sys.executable, "-m", "app.ui.qt_libs"], cwd=ROOT, capture_output=True, text=True
        )
        assert check.returncode == 1
        assert all(package in check.stderr for package in FRESH_MACHINE_LACKS), check.stderr
        with xvfb() as display:
            app = start_app(display, config=tmp_path / "config")
            out, err = app.communicate(timeout=120)
        assert app.returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "sudo apt-get install" in lines[0], err
        assert all(package in lines[0] for package in FRESH_MACHINE_LACKS)
    finally:
        install = subprocess.run(
            ["make", "apt-test"], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run(
        [sys.executable, "-m", "app.ui.qt_libs"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    test_main_py_opens_a_window_with_moving_pictures(tmp_path)


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
