"""The shipped Open Stage Control session: up to date with the parameter registry, shaped
as that app's session manager reads it, and every widget sends what latentvj's router
takes (a fader at both ends of its range, a button what it sends)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.engine.param_specs import build_registry
from app.midi.mapping import TRIGGERS
from app.osc.addresses import route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs"))

from make_osc_layout import LAYOUT, layout_text  # noqa: E402


def widgets(node: dict):
    for child in node.get("tabs", []) + node.get("widgets", []):
        yield child
        yield from widgets(child)


def sent(widget: dict) -> list[list]:
    """The argument lists a widget sends (Open Stage Control's button modes)."""
    if widget["type"] == "fader":
        return [[widget["range"]["min"]], [widget["range"]["max"]]]
    if widget["mode"] == "momentary":
        return [[]]
    on = widget["on"]
    return [[int(on) if widget.get("typeTags") == "i" else float(on)]]


def test_the_shipped_layout_is_up_to_date():
    assert LAYOUT.read_text() == layout_text(), "run docs/make_osc_layout.py"


def test_every_widget_sends_what_latentvj_takes_and_every_parameter_has_a_fader():
    registry = build_registry()
    session = json.loads(LAYOUT.read_text())
    assert session["type"] == "session" and session["content"]["type"] == "root"
    assert {tab["type"] for tab in session["content"]["tabs"]} == {"tab"}
    controls = [w for w in widgets(session["content"]) if w["type"] in ("fader", "button")]
    ids = [w["id"] for w in controls]
    assert len(ids) == len(set(ids))  # Open Stage Control: a shared id makes clones
    for widget in controls:
        for args in sent(widget):
            action = route(widget["address"], args, registry, TRIGGERS)  # raises if not
            if widget["type"] == "fader":
                assert action.kind == "param" and not action.clamped
    faders = {w["address"].rsplit("/", 1)[1] for w in controls if w["type"] == "fader"}
    assert faders == {spec.id for spec in registry}
    cues = sorted(w["on"] for w in controls if w["address"] == "/latentvj/preset/cue")
    assert cues == list(range(1, 9))
