"""Regenerate the Open Stage Control session shipped in
app/presets/controllers/open-stage-control/latentvj.json from the parameter registry and
the OSC address tree, so the layout names every parameter there is; a test fails when it
is out of date, and checks that latentvj's router takes what each widget sends.

    .venv/bin/python docs/make_osc_layout.py

The format is Open Stage Control's session file (1.x, as its session manager reads it:
``content`` a ``root`` with ``tabs``, each a ``tab`` with ``widgets``; faders with
``range``, buttons with ``mode`` ``momentary`` (the address alone) or ``tap`` (sends
``on``), ``typeTags`` for integers, ``html`` as the label, as the app's own converter
writes labels). Faders use each parameter's own units, so latentvj's parameter feedback
(``/latentvj/param/<id> value``) moves them too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LAYOUT = ROOT / "app" / "presets" / "controllers" / "open-stage-control" / "latentvj.json"
VERSION = "1.26.2"  # newer than the session converters: read as written
FADER_W, FADER_H, BUTTON_W, BUTTON_H, GAP = 70, 300, 110, 60, 10
PERFORM_BUTTONS = [  # (label, address): the performer's keys, as in the window
    ("TAP", "/latentvj/tempo/tap"), ("RESYNC", "/latentvj/tempo/resync"),
    ("FLASH", "/latentvj/trigger/flash"), ("FREEZE", "/latentvj/trigger/freeze"),
    ("BLACKOUT", "/latentvj/trigger/blackout"), ("NEXT", "/latentvj/trigger/next_keyframe"),
    ("PREVIOUS", "/latentvj/trigger/previous_keyframe"),
    ("RANDOM", "/latentvj/trigger/random_jump"), ("RESEED", "/latentvj/trigger/reseed"),
    ("PLAY", "/latentvj/transport/play"), ("STOP", "/latentvj/transport/stop"),
    ("RECORD", "/latentvj/trigger/record"),
]  # fmt: skip
TEMPO_BUTTONS = [
    ("x2", "/latentvj/tempo/double"), ("/2", "/latentvj/tempo/halve"),
    ("LOCK", "/latentvj/tempo/lock"), ("UNLOCK", "/latentvj/tempo/unlock"),
    ("AUTOBAR", "/latentvj/tempo/autobar"), ("AUDIO", "/latentvj/tempo/audio"),
    ("MIDI CLOCK", "/latentvj/tempo/midi"),
]  # fmt: skip


def _button(wid: str, label: str, address: str, left: int, top: int, on=None,
            type_tags: str = "") -> dict:  # fmt: skip
    button = {"type": "button", "id": wid, "label": label, "address": address,
              "left": left, "top": top, "width": BUTTON_W, "height": BUTTON_H,
              "mode": "momentary" if on is None else "tap"}  # fmt: skip
    if on is not None:
        button.update(on=on, typeTags=type_tags)
    return button


def _fader(spec, left: int, top: int) -> dict:
    return {"type": "fader", "id": spec.id, "html": spec.label, "address":
            f"/latentvj/param/{spec.id}", "left": left, "top": top, "width": FADER_W,
            "height": FADER_H, "range": {"min": spec.min, "max": spec.max},
            "default": spec.default, "decimals": 3, "design": "compact"}  # fmt: skip


def _grid(items: list, per_row: int, width: int, height: int):
    """(item, left, top) placing ``items`` row by row."""
    for i, item in enumerate(items):
        yield item, GAP + (i % per_row) * (width + GAP), GAP + (i // per_row) * (height + GAP)


def _tab(label: str, widgets: list[dict]) -> dict:
    return {"type": "tab", "id": f"tab_{label.lower()}", "label": label, "widgets": widgets}


def session() -> dict:
    from app.engine.param_specs import build_registry

    registry = build_registry()
    perform = [_button(f"btn_{label.lower()}", label, address, x, y)
               for (label, address), x, y in _grid(PERFORM_BUTTONS, 6, BUTTON_W, BUTTON_H)]  # fmt: skip
    cues = [(f"CUE {n}", n) for n in range(1, 9)]
    top = 2 * (BUTTON_H + GAP)
    perform += [_button(f"cue_{n}", label, "/latentvj/preset/cue", x, y + top, on=n,
                        type_tags="i") for (label, n), x, y in _grid(cues, 8, BUTTON_W, BUTTON_H)]  # fmt: skip
    perform.append(_fader(registry["out.master"], GAP, 3 * (BUTTON_H + GAP) + GAP))
    tempo = [_button(f"btn_{label.lower().replace(' ', '_').replace('/', 'half')}", label,
                     address, x, y) for (label, address), x, y in
             _grid(TEMPO_BUTTONS, 6, BUTTON_W, BUTTON_H)]  # fmt: skip
    nudges = [("NUDGE -", -0.05), ("NUDGE +", 0.05)]
    tempo += [_button(f"btn_nudge_{'earlier' if beats < 0 else 'later'}", label,
                      "/latentvj/tempo/nudge", x, y + 2 * (BUTTON_H + GAP), on=beats,
                      type_tags="f") for (label, beats), x, y in _grid(nudges, 2, BUTTON_W, BUTTON_H)]  # fmt: skip
    sections: dict[str, list] = {}
    for spec in registry:
        if spec.id != "out.master":
            sections.setdefault(spec.section or "Other", []).append(spec)
    tabs = [_tab("Perform", perform), _tab("Tempo", tempo)]
    tabs += [_tab(name, [_fader(spec, x, y) for spec, x, y in _grid(specs, 12, FADER_W, FADER_H)])
             for name, specs in sections.items()]  # fmt: skip
    return {"createdWith": "Open Stage Control", "version": VERSION, "type": "session",
            "content": {"type": "root", "id": "root", "tabs": tabs, "widgets": []}}  # fmt: skip


def layout_text() -> str:
    return json.dumps(session(), indent=2) + "\n"


if __name__ == "__main__":
    from app.core.atomic import atomic_write_text

    LAYOUT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(LAYOUT, layout_text())
    print(f"wrote {LAYOUT}")
