"""Faults with real audio: the JACK server or the app's capture client goes away while
`live --headless` runs. The engine must keep rendering, say the input is lost, and
reconnect when the device comes back."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.io.jack import _wait_running, jack_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not jack_available(), reason="jackd not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
STATUS = re.compile(r"fps=\s*([\d.]+).*drops=(\d+) input=(\w+) reconnects=(\d+)")


def start_jackd(name: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["jackd", "-n", name, "-S", "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "512"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_running(name)
    return proc


class LiveRun:
    """`main.py live --headless` under a JACK server, its status lines read as they come."""

    def __init__(self, server: str, seconds: float) -> None:
        env = {
            **os.environ,
            "JACK_DEFAULT_SERVER": server,
            "JACK_NO_START_SERVER": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "live",
                "--headless",
                "--audio-device",
                "system",
                "--seconds",
                str(seconds),
                "--size",
                "160x90",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[tuple[float, int, str, int]] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(
        self, state: str, count: int = 1, reconnects: int = 0, timeout: float = 30.0
    ) -> None:
        """Block until ``count`` consecutive status lines report ``input=state`` after at
        least ``reconnects`` reconnections."""
        run = 0
        while run < count:
            line = self.lines.get(timeout=timeout)
            assert line is not None, f"live ended before input={state}: {self.seen}"
            match = STATUS.search(line)
            if match:
                self.seen.append((float(match[1]), int(match[2]), match[3], int(match[4])))
                ok = match[3] == state and int(match[4]) >= reconnects
                run = run + 1 if ok else 0

    def finish(self) -> tuple[int, str]:
        while self.lines.get(timeout=60) is not None:
            pass
        return self.proc.wait(timeout=30), self.proc.stderr.read()


def assert_kept_rendering(run: LiveRun) -> None:
    fps = [seen[0] for seen in run.seen[1:]]
    assert min(fps) >= 25.0, run.seen
    assert run.seen[-1][1] - run.seen[1][1] <= 5, run.seen  # (almost) no frames dropped


@contextmanager
def live_under_jack(seconds: float):
    """A JACK server and `live --headless` listening to it; both ended afterwards."""
    name = f"lvj-fault-{uuid.uuid4().hex[:6]}"
    servers = [start_jackd(name)]
    run = LiveRun(name, seconds)
    try:
        yield run, name, servers
    finally:
        run.proc.kill()
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_audio_server_dies_and_returns():
    with live_under_jack(16) as (run, name, servers):
        run.wait_for("ok", count=2)
        servers[0].terminate()
        servers[0].wait(timeout=10)
        run.wait_for("lost")
        servers.append(start_jackd(name))
        run.wait_for("ok", count=2, reconnects=1)
        rc, stderr = run.finish()
    assert rc == 0, stderr
    assert "Traceback" not in stderr
    assert_kept_rendering(run)


def _capture_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()
    ]  # not the tracker


def test_capture_client_dies_and_is_restarted():
    with live_under_jack(12) as (run, _, _servers):
        run.wait_for("ok", count=2)
        children = _capture_children(run.proc.pid)
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        # the restart can be quicker than one status line: count it, not the "lost" state
        run.wait_for("ok", count=2, reconnects=1)
        assert _capture_children(run.proc.pid) != children
        rc, stderr = run.finish()
    assert rc == 0, stderr
    assert_kept_rendering(run)
