"""The window's MIDI panel with real ports (JACK dummy server, python-rtmidi), offscreen Qt:
learn through the panel, the mapping table drives the map, the monitor shows messages, and
right-click learn on a parameter."""

from __future__ import annotations

import pytest

from app.live.engine import LiveEngine, LiveOptions
from app.ui.main_window import MainWindow
from tests.io.jack import jack_available, jack_server
from tests.io.test_midi import Sender

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not jack_available(), reason="jackd not installed (make test installs jackd2 as root)"
    ),
]


@pytest.fixture
def rig(qtbot):
    with jack_server(48_000, period=256):
        sender = Sender("knobs")
        engine = LiveEngine(
            LiveOptions(play="demo", size=(96, 54), midi=["knobs"], midi_api="jack")
        ).start()
        win = MainWindow(engine)
        qtbot.addWidget(win)
        win.show()
        try:
            qtbot.waitUntil(lambda: "knobs:out" in win.midi_panel.ports.text(), timeout=5_000)
            yield win, sender
        finally:
            win.close()
            engine.stop()
            sender.close()


def test_learn_in_the_panel_then_edit_the_table(qtbot, rig):
    win, sender = rig
    panel = win.midi_panel
    panel.target.setCurrentText("fx.kaleido.rotate")
    panel.buttons["Learn"].click()
    qtbot.waitUntil(lambda: "move a control" in panel.learn_state.text(), timeout=5_000)
    sender.send([0xB4, 77, 0])  # channel 5, CC 77
    qtbot.waitUntil(lambda: "Commit or Cancel" in panel.learn_state.text(), timeout=5_000)
    panel.buttons["Commit"].click()
    qtbot.waitUntil(
        lambda: any(
            panel.table.item(r, 3) and panel.table.item(r, 3).text() == "77"
            for r in range(panel.table.rowCount())
        ),
        timeout=5_000,
    )
    row = next(r for r in range(panel.table.rowCount()) if panel.table.item(r, 3).text() == "77")
    assert panel.table.item(row, 1).text() == "5"
    assert panel.table.item(row, 4).text() == "fx.kaleido.rotate"
    panel.table.item(row, 6).setText("90")  # max: 90 degrees at the top of the knob
    panel.table.item(row, 9).setText("no")  # no soft takeover
    sender.send([0xB4, 77, 127])
    store = win.engine.store
    qtbot.waitUntil(lambda: store.get("fx.kaleido.rotate") == pytest.approx(90.0), timeout=5_000)
    qtbot.waitUntil(lambda: "cc 77 = 127" in panel.monitor.toPlainText(), timeout=5_000)
    panel.table.item(row, 4).setText("fx.nope")  # a bad row: named, skipped
    assert "unknown parameter 'fx.nope'" in win.notices.text()


def test_right_click_learn_on_a_parameter(qtbot, rig):
    win, sender = rig
    win.params.on_learn("fx.hue.shift")  # what the context menu's "MIDI learn" calls
    qtbot.waitUntil(lambda: "fx.hue.shift" in win.midi_panel.learn_state.text(), timeout=5_000)
    sender.send([0xB0, 30, 64])
    qtbot.waitUntil(lambda: "Commit or Cancel" in win.midi_panel.learn_state.text(), timeout=5_000)
    win.midi_panel.buttons["Cancel"].click()
    assert win.engine.midi.learn is None
