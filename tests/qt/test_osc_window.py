"""The window takes OSC like the headless engine: a tablet's fader moves the parameter's
slider, a trigger lights its button (python-osc over 127.0.0.1)."""

from __future__ import annotations

import pytest
from pythonosc.udp_client import SimpleUDPClient

from app.live import LiveEngine, LiveOptions
from app.ui.main_window import MainWindow
from tests.io.test_osc import HOST, free_port


@pytest.fixture
def osc_window(qtbot):
    port = free_port()
    engine = LiveEngine(LiveOptions(play="demo", size=(160, 90), osc_in=str(port))).start()
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    yield win, SimpleUDPClient(HOST, port)
    win.close()
    engine.stop()


def test_a_tablets_fader_and_button_reach_the_window(qtbot, osc_window):
    win, client = osc_window
    slider = win.params.sliders["fx.saturation"]
    client.send_message("/latentvj/param/fx.saturation/norm", 1.0)
    qtbot.waitUntil(lambda: slider.value() == slider.maximum(), timeout=5_000)
    client.send_message("/latentvj/trigger/blackout", [])
    qtbot.waitUntil(win.blackout.isChecked, timeout=5_000)
