"""Performance capture: while recording, every parameter change, trigger, preset switch and
tempo command goes into a JSON-lines log beside the recording, stamped with its time in the
recording (``t``, seconds from the recording's first sample), along with the musical clock
of every rendered frame. ``render --replay`` plays the log back offline (app.engine.replay).

Producers on any thread call ``add`` (never waits); one writer thread appends the lines
and flushes each batch, so a crash loses only what was still queued.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path

SCHEMA_VERSION = 1


class PerformanceLog:
    """A JSON-lines performance log: a header line, then one event per line."""

    def __init__(self, path: Path, t0_s: float, header: dict) -> None:
        self.path = path
        self.t0_s = t0_s
        self.events = 0
        self.error: str | None = None
        self._queue: queue.SimpleQueue[dict | None] = queue.SimpleQueue()
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 (the thread owns it)
        self._write({"type": "header", "schema_version": SCHEMA_VERSION, **header})
        self._thread = threading.Thread(target=self._run, name="performance-log", daemon=True)
        self._thread.start()

    def _write(self, event: dict) -> None:
        self._file.write(json.dumps(event, separators=(",", ":")) + "\n")

    def add(self, event: dict, t_s: float | None = None) -> None:
        """Log an event (any thread). ``t_s`` (or the event's own ``t_s``) is on the
        stream clock; it becomes ``t``, the time in the recording."""
        event = dict(event)
        stamp = event.pop("t_s", t_s)
        event["t"] = round(stamp - self.t0_s, 6)
        self._queue.put(event)

    def frame(self, t_s: float, beats: float, bpm: float, bar_phase: float) -> None:
        """The musical clock at a rendered frame (render thread)."""
        self._queue.put(
            {
                "type": "clock",
                "t": round(t_s - self.t0_s, 6),
                "beats": round(beats, 6),
                "bpm": round(bpm, 4),
                "bar_phase": round(bar_phase, 6),
            }
        )

    def _run(self) -> None:
        done = False
        while not done:
            batch = [self._queue.get()]
            while batch[-1] is not None and not self._queue.empty():
                batch.append(self._queue.get())
            done = batch[-1] is None
            try:
                for event in batch[:-1] if done else batch:
                    self._write(event)
                    self.events += 1
                self._file.flush()  # what is logged survives a crash
            except OSError as exc:  # a full disk: the recording reports it; stop logging
                self.error = f"performance log: {exc.strerror}"
                return

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        try:
            self._file.close()
        except OSError as exc:
            self.error = self.error or f"performance log: {exc.strerror}"
