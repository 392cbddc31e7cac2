"""The transport bar: the performer's buttons, each with its key and a right-click MIDI
learn (a trigger), built from one table so a button, its key and its trigger never drift
apart. Most send the performer's words (the ones ``live --headless`` reads on stdin);
the others call the window (play / stop, lock, HUD, output, layout)."""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QComboBox, QLabel, QToolBar

from app.core.tempo import NUDGE_BEATS

from .learn_menu import add_learn_menu

TEMPO_SOURCES = ("audio", "tap", "manual", "midi")


@dataclass(frozen=True)
class Button:
    """One button: ``does`` is a performer's word, or ``window.METHOD`` for the window's
    own; ``name`` keeps it as ``window.NAME``; ``learn``: its MIDI trigger."""

    text: str
    key: str
    does: str
    tip: str
    learn: str
    checkable: bool = False
    name: str = ""


EARLIER = f"nudge {NUDGE_BEATS}"
LATER = f"nudge {-NUDGE_BEATS}"
TEMPO = (
    Button("Tap", "Return", "tap", "tap tempo", "trigger:tap", name="tap"),
    Button("x2", "*", "x2", "double the tempo", "trigger:double"),
    Button("/2", "/", "/2", "halve the tempo", "trigger:halve"),
    Button("Resync", "Backspace", "resync", "the next beat is a downbeat", "trigger:resync"),
    Button("Lock", "L", "window._toggle_lock", "hold the tempo", "trigger:lock", True, "lock"),
    # nudge: on a timeline, earlier is to the left
    Button("\u25c0", "[", EARLIER, f"nudge: the beats come {NUDGE_BEATS:g} beat earlier (when "
           "the picture lags the music); held until nudged back", "trigger:nudge_earlier"),
    Button("\u25b6", "]", LATER, f"nudge: the beats come {NUDGE_BEATS:g} beat later; held "
           "until nudged back", "trigger:nudge_later"),
)  # fmt: skip
PICTURE = (
    Button("Flash", "F5", "flash", "flash", "trigger:flash"),
    Button("Next", "Right", "next", "next keyframe", "trigger:next_keyframe"),
    Button("Prev", "Left", "previous", "previous keyframe", "trigger:previous_keyframe"),
    Button("Freeze", "F6", "freeze", "panic: freeze the picture", "trigger:freeze", True,
           "freeze"),
    Button("Blackout", "F7", "blackout", "panic: black output", "trigger:blackout", True,
           "blackout"),
)  # fmt: skip
RECORD = Button("Record", "Ctrl+R", "record", "record the output and the sound (to "
                "~/Videos/latentvj)", "trigger:record", True, "record")  # fmt: skip
SHOW = (
    Button("HUD", "F3", "window._toggle_hud", "show fps, render time, latency, drops and "
           "input level", "trigger:window hud", True, "hud"),
    Button("Output", "F11", "window.toggle_output", "fullscreen output on the chosen screen",
           "trigger:window output", True, "output_action"),
    Button("Perform", "F2", "window.set_perform", "Perform layout (the preview, the launcher "
           "grid and the output monitor) / Edit layout (the panels)",
           "trigger:window layout", True, "layout_action"),
)  # fmt: skip
PLAY = Button("Play", "Space", "window._toggle_play", "play / stop: stopped, the output is "
              "black and a played file waits at its start", "trigger:transport", True,
              "play")  # fmt: skip


def add_button(window, bar: QToolBar, button: Button) -> QAction:
    """``button`` on ``bar``, its key working whichever widget has focus."""
    action = QAction(button.text, window)
    action.setShortcut(QKeySequence(button.key))
    action.setToolTip(f"{button.tip} ({button.key}; right-click: MIDI learn)")
    action.setCheckable(button.checkable)
    if button.does.startswith("window."):
        action.triggered.connect(getattr(window, button.does.removeprefix("window.")))
    else:
        action.triggered.connect(lambda _=False, words=button.does: window.command(words))
    bar.addAction(action)
    window.addAction(action)
    add_learn_menu(bar.widgetForAction(action), window.command, *button.learn.split(" ", 1))
    if button.name:
        setattr(window, button.name, action)
    return action


def build_transport(window) -> QToolBar:
    """The bar, left to right: transport and tempo, picture, recording, what shows where.
    Sets the window's ``play``, ``bpm_label``, ``tap``, ``lock``, ``source``, ``freeze``,
    ``blackout``, ``record``, ``record_label``, ``hud``, ``screens``, ``output_action``
    and ``layout_action``."""
    bar = QToolBar("Transport")
    bar.setObjectName("transport")
    window.addToolBar(bar)
    add_button(window, bar, PLAY).setChecked(True)
    window.bpm_label = _label(bar, "--- BPM", "bpm")
    window.bpm_label.setMinimumWidth(90)
    for button in TEMPO:
        add_button(window, bar, button)
    window.source = _combo(bar, "tempo-source", "tempo source")
    window.source.addItems(TEMPO_SOURCES)
    window.source.textActivated.connect(window._choose_source)
    bar.addSeparator()
    for button in PICTURE:
        add_button(window, bar, button)
    bar.addSeparator()
    add_button(window, bar, RECORD)
    window.record_label = _label(bar, "", "record-status")
    bar.addSeparator()
    add_button(window, bar, SHOW[0])
    window.screens = _combo(bar, "screens", "screen for the output window")
    for button in SHOW[1:]:
        add_button(window, bar, button)
    return bar


def _label(bar: QToolBar, text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    bar.addWidget(label)
    return label


def _combo(bar: QToolBar, name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    bar.addWidget(combo)
    return combo
