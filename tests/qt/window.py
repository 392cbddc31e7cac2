"""The performance window on a real live engine playing the demo track (a fixture), and
helpers that read what its preview shows."""

from __future__ import annotations

import numpy as np
import pytest

from app.live.engine import LiveEngine, LiveOptions
from app.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    engine = LiveEngine(LiveOptions(play="demo", size=(160, 90), fps=30.0)).start()
    win = None
    try:
        win = MainWindow(engine)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.preview.image() is not None, timeout=20_000)
        yield win
    finally:
        if win is not None:
            win.close()
        engine.stop()


def pixels(view) -> np.ndarray:
    image = view.image()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    return (
        np.frombuffer(ptr, np.uint8)
        .reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .copy()
    )


def wait_frames(qtbot, win, n: int) -> None:
    start = win.preview.seq
    qtbot.waitUntil(lambda: win.preview.seq >= start + n, timeout=10_000)
