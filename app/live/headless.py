"""``live --headless``: the live engine without a window. A status line a second on stdout,
notices and each distinct error once on stderr, the performer's words from stdin."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable
from typing import TextIO

from app.core.errors import UserError
from .engine import LiveEngine, LiveOptions


class ErrorReporter:
    """Prints each distinct error message once (workers report errors as data, every frame
    may carry the same one; the user needs to hear it once, not thirty times a second)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.seen: set[str] = set()

    def report(self, *errors: str | None) -> None:
        for error in errors:
            if error and error not in self.seen:
                self.seen.add(error)
                print(f"latentvj live: {error}", file=self.stream, flush=True)


def read_commands(
    engine: LiveEngine, lines: Iterable[str], out: TextIO | None = None, err: TextIO | None = None
) -> None:
    """Each line a command to the engine (``LiveEngine.command``), acknowledged on ``out``;
    a bad one is one line on ``err`` and the next line is read."""
    for line in lines:
        if not line.strip():
            continue
        try:
            engine.command(line.strip())
            print(f"command: {line.strip()}", file=out or sys.stdout, flush=True)
        except (ValueError, UserError) as exc:
            print(f"latentvj live: {exc}", file=err or sys.stderr, flush=True)


def start_command_reader(engine: LiveEngine) -> None:
    """Commands typed on stdin (one per line), read on their own thread."""
    threading.Thread(
        target=read_commands, args=(engine, sys.stdin), name="commands", daemon=True
    ).start()


def print_notices(engine: LiveEngine) -> None:
    for action in engine.take_window_requests():
        print(
            f"latentvj live: window: {action}: there is no window (live --headless)",
            file=sys.stderr,
            flush=True,
        )
    for problem, notice in engine.take_notices():
        print(
            f"latentvj live: {notice}" if problem else notice,
            file=sys.stderr if problem else sys.stdout,
            flush=True,
        )


def run_headless(options: LiveOptions, seconds: float | None) -> int:
    """Run until ``seconds`` have passed (None: until Ctrl-C or SIGTERM)."""
    engine = LiveEngine(options)
    engine.start()
    w, h = options.size
    print(
        f"latentvj live: '{engine.patch.name}', {engine.where}; {w}x{h} @ "
        f"{options.fps:g} fps, {engine.placement.label}",
        flush=True,
    )
    if engine.recording:
        print(f"recording to '{engine.recorder.path}'", flush=True)
    start_command_reader(engine)
    start = time.monotonic()
    errors = ErrorReporter()
    try:
        while seconds is None or time.monotonic() - start < seconds:
            time.sleep(min(1.0, max(0.0, (seconds or 1e9) - (time.monotonic() - start))))
            print_notices(engine)
            errors.report(*engine.errors())
            print(f"t={time.monotonic() - start:6.1f}s {engine.status().line()}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
        print_notices(engine)  # how the recording ended
    return 0
