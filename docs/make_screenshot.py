"""Regenerate docs/window.png: `python main.py` under Xvfb with a JACK dummy server, the
screen grabbed by ImageMagick from the X server (a real screenshot, not a widget grab).

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


def main() -> None:
    with jack_server(), xvfb("1280x720x24") as display, \
            tempfile.TemporaryDirectory() as config:
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        # nothing remembered: the window as a new user first sees it (dark theme)
        env.update(DISPLAY=display, PYTHONUNBUFFERED="1", XDG_CONFIG_HOME=config)
        app = subprocess.Popen([sys.executable, "main.py", "live", "--play", "--preset",
                                "crystal-kaleido"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            print(app.stdout.readline().strip())
            time.sleep(6.0)  # locked to the demo track's tempo, the HUD-less preview full
            screenshot(display, ROOT / "docs" / "window.png")
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"wrote {ROOT / 'docs' / 'window.png'}")


if __name__ == "__main__":
    main()
