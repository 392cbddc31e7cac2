"""Small modules (issue 25): no module in app/ grows past MAX_LINES; one that does is split
along a seam before it lands."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 450


def test_no_module_in_app_is_over_450_lines():
    sizes = {p.relative_to(APP.parent): len(p.read_text().splitlines()) for p in APP.rglob("*.py")}
    assert sizes and {str(p): n for p, n in sizes.items() if n > MAX_LINES} == {}
