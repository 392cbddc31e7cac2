"""Regenerate the OSC address tree in README.md (between its osc-tree markers) from the
parameter registry and the triggers, so the README names every address there is; a test
fails when they differ.

    .venv/bin/python docs/make_osc_tree.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
START, END = "<!-- osc-tree -->", "<!-- /osc-tree -->"


def tree_markdown() -> str:
    from app.engine.param_specs import build_registry
    from app.midi.mapping import TRIGGERS
    from app.osc.addresses import tree

    rows = ["| address | arguments | what it does |", "|---|---|---|"]
    rows += [f"| `{a}` | {args or '-'} | {what} |" for a, args, what in
             tree(build_registry(), TRIGGERS)]  # fmt: skip
    return "\n".join(rows)


def with_tree(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{tree_markdown()}\n{END}{tail}"


if __name__ == "__main__":
    path = ROOT / "README.md"
    path.write_text(with_tree(path.read_text()))
    print(f"wrote the OSC address tree into {path}")
