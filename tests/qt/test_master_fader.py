"""The master fader (parameter ``out.master``, in the panel's Output section and on MIDI like
every parameter) darkens what the output shows and records; raised, the picture is back."""

from __future__ import annotations


def latest(window):
    return window.engine.frames.get()[1]


def test_the_master_fader_darkens_the_output(qtbot, window):
    qtbot.waitUntil(
        lambda: latest(window) is not None and latest(window).image.mean() > 20, timeout=20_000
    )
    assert "out.master" in window.params.sliders  # a fader in the panel
    window.engine.store.set("out.master", 0.0, source="ui")
    qtbot.waitUntil(lambda: latest(window).image.max() == 0, timeout=10_000)
    window.engine.store.set("out.master", 1.0, source="ui")
    qtbot.waitUntil(lambda: latest(window).image.mean() > 20, timeout=10_000)
