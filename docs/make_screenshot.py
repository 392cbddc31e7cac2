"""Regenerate docs/window.png (the Edit layout) and docs/window-perform.png (Perform):
`python main.py live --play` under Xvfb with a JACK dummy server, the screen grabbed by
ImageMagick from the X server (real screenshots, not widget grabs).

    .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.io.jack import jack_server  # noqa: E402
from tests.xvfb import screenshot, xvfb  # noqa: E402


LAYOUTS = (("edit", "window.png"), ("perform", "window-perform.png"))


def shoot(display: str, layout: str, image: Path) -> None:
    """The window in ``layout``, as a new user would first see it otherwise (nothing else
    remembered: the dark theme, the default docks, no presets of their own, so the
    launcher shows the shipped set)."""
    with tempfile.TemporaryDirectory() as config:
        (Path(config) / "latentvj").mkdir()
        (Path(config) / "latentvj" / "latentvj.conf").write_text(f"[General]\nlayout={layout}\n")
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env.update(
            DISPLAY=display,
            PYTHONUNBUFFERED="1",
            XDG_CONFIG_HOME=config,
            LATENTVJ_PRESETS_DIR=str(Path(config) / "presets"),
        )
        app = subprocess.Popen(
            [sys.executable, "main.py", "live", "--play", "--preset", "crystal-kaleido"],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        try:
            print(app.stdout.readline().strip())
            # locked to the demo track's tempo, the launcher's thumbnails drawn
            time.sleep(12.0 if layout == "perform" else 6.0)
            screenshot(display, image)
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"wrote {image}")


def main() -> None:
    with jack_server(), xvfb("1280x720x24") as display:
        for layout, name in LAYOUTS:
            shoot(display, layout, ROOT / "docs" / name)


if __name__ == "__main__":
    main()
