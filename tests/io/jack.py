"""A private JACK dummy server for real audio (and MIDI) I/O tests on machines without a
sound card (recipe: ../shared/notes/realtime-io.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager


def jack_available() -> bool:
    return all(shutil.which(tool) for tool in ("jackd", "jack_wait", "jack_lsp", "jack_connect"))


def _wait_running(name: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out = subprocess.run(["jack_wait", "-s", name, "-c"], capture_output=True, text=True)
        if out.stdout.strip() == "running":
            return
        time.sleep(0.02)
    raise RuntimeError(f"JACK server {name} did not start")


def ports(name: str) -> list[str]:
    out = subprocess.run(["jack_lsp", "-s", name], capture_output=True, text=True)
    return [p.strip() for p in out.stdout.splitlines() if p.strip()]


def wait_for_port(name: str, port: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port in ports(name):
            return
        time.sleep(0.02)
    raise RuntimeError(f"JACK port {port} did not appear (have: {ports(name)})")


def connect(name: str, source: str, destination: str) -> None:
    subprocess.run(
        ["jack_connect", "-s", name, source, destination], check=True, capture_output=True
    )


def disconnect(name: str, source: str, destination: str) -> None:
    subprocess.run(["jack_disconnect", "-s", name, source, destination], capture_output=True)


def reinit_portaudio() -> None:
    """PortAudio reads the JACK server name at initialisation: start again under it."""
    import sounddevice as sd

    while sd._initialized:
        sd._terminate()
    sd._initialize()


@contextmanager
def jack_server(sr: int = 48_000, period: int = 512):
    """Start ``jackd -d dummy`` under a unique name, point clients at it, stop it after."""
    name = f"lvj-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            "jackd",
            "-n",
            name,
            "-S",
            "--no-realtime",
            "-d",
            "dummy",
            "-r",
            str(sr),
            "-p",
            str(period),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    old = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    try:
        _wait_running(name)
        os.environ["JACK_DEFAULT_SERVER"] = name
        os.environ["JACK_NO_START_SERVER"] = "1"
        reinit_portaudio()
        yield name
    finally:
        import sounddevice as sd

        while sd._initialized:  # PortAudio goes first: if jackd dies first, exit aborts
            sd._terminate()
        proc.terminate()
        proc.wait(timeout=10)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sd._initialize()
