"""Beat lights: the beat of the bar lit (downbeat first), the phrase position, tempo and
confidence; in the window they follow the clock of the frames on screen."""

from __future__ import annotations

import pytest

from app.ui.beat_lights import BeatLights, clock_position


@pytest.mark.parametrize(
    "beats,bar_phase,expected",
    [
        (16.0, 0.0, (0, 0, 0.0)),  # a downbeat, first bar of a phrase
        (18.5, 0.625, (2, 0, 0.15625)),  # the third beat
        (23.0, 0.75, (3, 1, 0.4375)),  # the second bar's last beat
        (28.0, 0.0, (0, 3, 0.75)),  # the phrase's last bar
    ],
)
def test_clock_position(beats, bar_phase, expected):
    beat, bar, phrase = clock_position(beats, bar_phase, 4)
    assert (beat, bar) == expected[:2] and phrase == pytest.approx(expected[2])


def test_the_widget_lights_one_beat_and_says_tempo_and_confidence(qtbot):
    lights = BeatLights()
    qtbot.addWidget(lights)
    lights.set_clock(18.5, 0.625, 4, 124.0, 0.93, locked=True)
    assert lights.lit() == [False, False, True, False]
    assert lights.text == "124.0 BPM  93% lock"
    lights.set_clock(15.0, 0.0, 3, 90.0, 0.4, locked=False)  # three beats a bar
    assert lights.lit() == [True, False, False]
    lights.grab()  # paints without error


def test_beat_lights_follow_the_clock_in_the_window(qtbot, window):
    seen: set[int] = set()

    def moved() -> bool:
        seen.add(window.beat_lights.beat)
        return {0, 1, 2, 3} <= seen

    qtbot.waitUntil(moved, timeout=20_000)  # every beat of the bar lit in turn
    assert "BPM" in window.beat_lights.text
