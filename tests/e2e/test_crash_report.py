"""A crash in native code leaves a Python stack on stderr, for the bug report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_native_crash_prints_the_python_stack():
    # the default command made to read address 0, as a bug in native code would
    crash = (
        "import ctypes, app.cli as cli\n"
        "cli.cmd_default = lambda: ctypes.string_at(0)\n"
        "cli.main([])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    done = subprocess.run(
        [sys.executable, "-c", crash],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Fatal Python error" in done.stderr
    assert "cmd_default" in done.stderr or "<lambda>" in done.stderr
