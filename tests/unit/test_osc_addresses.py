"""The OSC address tree: every address maps to the action MIDI and stdin would give, bad
arguments are refused by kind (counted as unknown or rejected), and the README's table is
the tree generated from the registry."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.engine.param_specs import build_registry
from app.midi.mapping import TRIGGERS
from app.osc.addresses import OscAction, OscProblem, route, tree

REGISTRY = build_registry()


def go(address, *args):
    return route(address, list(args), REGISTRY, TRIGGERS)


def test_addresses_become_the_actions_midi_and_stdin_give():
    assert go("/latentvj/param/fx.saturation", 1.5) == OscAction("param", "fx.saturation", 1.5)
    assert go("/latentvj/param/fx.hue.shift/norm", 0.25).value == 90.0
    assert go("/latentvj/param/fx.saturation", 7) == OscAction("param", "fx.saturation", 2.0,
                                                               clamped=True)  # fmt: skip
    assert go("/latentvj/trigger/flash") == OscAction("trigger", "flash")
    assert go("/latentvj/preset/load", "cell-strobe") == OscAction("trigger", "preset",
                                                                   argument="cell-strobe")  # fmt: skip
    assert go("/latentvj/preset/cue", 5) == OscAction("trigger", "cue", argument="5")
    assert go("/latentvj/tempo/double") == OscAction("command", "x2")
    assert go("/latentvj/tempo/bpm", 128.0).target == "bpm 128.0000"
    assert go("/latentvj/tempo/nudge", -0.05).target == "nudge -0.050000"
    assert go("/latentvj/transport/stop") == OscAction("command", "stop")


@pytest.mark.parametrize("address,args,kind", [
    ("/elsewhere", [1.0], "unknown"), ("/latentvj/param/nope", [1.0], "unknown"),
    ("/latentvj/trigger/nope", [], "unknown"), ("/latentvj/trigger/preset", ["x"], "unknown"),
    ("/latentvj/param/fx.flash", [], "arguments"), ("/latentvj/param/fx.flash", ["a"], "arguments"),
    ("/latentvj/param/fx.flash", [math.nan], "arguments"),
    ("/latentvj/param/fx.flash", [math.inf], "arguments"),
    ("/latentvj/param/fx.flash", [1.0, 2.0], "arguments"),
    ("/latentvj/tempo/bpm", [1e30], "arguments"), ("/latentvj/tempo/tap", [1], "arguments"),
    ("/latentvj/tempo/nudge", [3.0], "arguments"), ("/latentvj/preset/cue", [33], "arguments"),
    ("/latentvj/preset/cue", [1.5], "arguments"), ("/latentvj/preset/load", [""], "arguments"),
])  # fmt: skip
def test_bad_messages_are_refused_by_kind(address, args, kind):
    with pytest.raises(OscProblem) as problem:
        go(address, *args)
    assert problem.value.kind == kind


def test_the_readme_table_is_the_tree_of_the_registry():
    import sys

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "docs"))
    from make_osc_tree import with_tree

    readme = (root / "README.md").read_text()
    assert with_tree(readme) == readme, "run docs/make_osc_tree.py"
    assert len(tree(REGISTRY, TRIGGERS)) > len(list(REGISTRY))
