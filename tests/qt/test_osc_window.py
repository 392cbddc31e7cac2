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


def test_osc_learn_and_endpoints_in_the_osc_tab(qtbot, osc_window):
    import socket

    win, client = osc_window
    panel = win.osc_panel
    panel.target.setCurrentText("fx.saturation")
    panel.buttons["Learn"].click()
    client.send_message("/2/fader3", 0.0)
    qtbot.waitUntil(lambda: "/2/fader3" in win.engine.osc.bindings, timeout=5_000)
    for step in range(11):  # the fader's travel: soft takeover picks the value up
        client.send_message("/2/fader3", step / 10)
    slider = win.params.sliders["fx.saturation"]
    qtbot.waitUntil(lambda: slider.value() == slider.maximum(), timeout=5_000)
    panel.refresh()
    assert panel.bindings.item(0).text() == "/2/fader3  ->  fx.saturation"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((HOST, 0))
        listening = win.engine.osc.listen
        panel.listen.setText(str(taken.getsockname()[1]))
        panel.buttons["Apply"].click()
        assert "cannot listen" in win.notices.text() and win.engine.osc.listen == listening
