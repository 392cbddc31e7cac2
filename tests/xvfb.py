"""A private X server (Xvfb) for end-to-end tests and screenshots of the real window
(recipe: ../shared/notes/realtime-io.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path


def xvfb_available() -> bool:
    return bool(shutil.which("Xvfb") and shutil.which("import"))


@contextmanager
def xvfb(size: str = "1280x720x24"):
    """Start Xvfb on a free display; yields the DISPLAY value (``:N``)."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()  # Xvfb writes it once it accepts clients
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def screenshot(display: str, path: Path) -> Path:
    """The whole X screen as PNG, taken by the X server's own pixels (ImageMagick)."""
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path
