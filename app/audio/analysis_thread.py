"""The analyzer thread: reads a ring (live input or file playback) with its own cursor, runs
the online analyzer per hop, and publishes the newest frame to a mailbox (DESIGN §3)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from app.core.mailbox import Mailbox
from app.core.types import AnalysisFrame, TimedFrame

from .online import OnlineAnalyzer
from .ring import AudioRing

# how often the thread looks for new audio (the callback may not signal: DESIGN §3); a
# block waits half of this on average before its analysis starts
POLL_S = 0.002
HISTORY = 1024  # analysis frames kept for scopes (~11 s at 48 kHz)
ARRIVAL_WINDOW_S = 0.5  # the arrival clock follows the earliest sightings over this long


class ArrivalClock:
    """When each ring sample arrived, on ``time.monotonic()``: a frame's age must count from
    the moment its audio came in, not from when this thread got round to it (up to a poll
    later, plus the analysis), or every prediction made from it runs that much late.

    The writer (another process, for live input) stamps nothing; the reader sees, right
    after each read, how many samples were written by then. ``seen - written / sr`` is the
    wall time of sample 0 if the newest block had just arrived, and later otherwise; the
    smallest value over the last ARRIVAL_WINDOW_S is the estimate (a sliding window, so
    it follows clock drift, and a stream that stalled and came back within half a second).
    Pure logic: the analyzer thread feeds it."""

    def __init__(self, sr: int, window_s: float = ARRIVAL_WINDOW_S) -> None:
        self.sr = sr
        self.window_s = window_s
        self._seen: deque[tuple[float, float]] = deque()  # (seen at, implied epoch)

    def observe(self, seen_s: float, written: int) -> None:
        """``written`` samples were in the ring at ``seen_s`` (read just before)."""
        epoch = seen_s - written / self.sr
        while self._seen and self._seen[-1][1] >= epoch:  # never the minimum again
            self._seen.pop()
        self._seen.append((seen_s, epoch))
        while self._seen[0][0] < seen_s - self.window_s:
            self._seen.popleft()

    def wall_of(self, index: int) -> float:
        """When ring sample ``index`` arrived (after at least one ``observe``)."""
        return self._seen[0][1] + index / self.sr


class AnalysisThread:
    """Owns an OnlineAnalyzer; ``latest`` holds the newest TimedFrame. ``on_onset`` (set it
    to, say, a render worker's ``wake``) is called on this thread, without waiting on
    anything, whenever a block held an onset."""

    def __init__(
        self, ring: AudioRing, analyzer: OnlineAnalyzer, to_mono: Callable[[np.ndarray], np.ndarray]
    ) -> None:
        self.ring = ring
        self.analyzer = analyzer
        self.to_mono = to_mono
        self.latest: Mailbox[TimedFrame] = Mailbox()
        self.lost_samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analyzer", daemon=True)
        self.error: str | None = None
        self.on_onset: Callable[[], None] | None = None
        self._history: deque[tuple[int, AnalysisFrame]] = deque(maxlen=HISTORY)
        self._history_lock = threading.Lock()
        self._count = 0
        self.origin = 0
        self.arrivals = ArrivalClock(analyzer.sr)

    def start(self) -> "AnalysisThread":
        self.origin = self.ring.written  # the ring index of analysis time 0 (a recorder
        self._thread.start()  # reads the audio under a frame's t_s from here)
        return self

    def _run(self) -> None:
        cursor = self.origin
        while not self._stop.is_set():
            block, cursor, lost = self.ring.read(cursor)
            if lost:  # stream time moves on over the gap: t_s stays the ring's clock
                self.lost_samples += lost
                self.analyzer.skip(lost)
            if len(block):
                self.arrivals.observe(time.monotonic(), cursor)
                try:
                    frames = self.analyzer.process(self.to_mono(block))
                except Exception as exc:  # reported as data; the thread keeps going
                    self.error = f"analyzer: {type(exc).__name__}: {exc}"
                    frames = []
                if frames:
                    with self._history_lock:
                        for frame in frames:
                            self._count += 1
                            self._history.append((self._count, frame))
                    newest = frames[-1]
                    onset = any(f.is_onset for f in frames)
                    if onset and not newest.is_onset:  # an onset in an earlier hop of the
                        newest = replace(newest, is_onset=True)  # block still counts
                    # the ring sample that completed the newest hop came in at
                    end = self.origin + round(newest.t_s * self.arrivals.sr)
                    self.latest.put(TimedFrame(newest, self.arrivals.wall_of(end)))
                    if onset and self.on_onset is not None:
                        self.on_onset()
            self._stop.wait(POLL_S)

    def history(self, after: int = 0) -> list[tuple[int, AnalysisFrame]]:
        """Every analysis frame (numbered from 1) newer than ``after``, as far back as
        HISTORY: the audio panel's scopes read here, each with its own cursor."""
        with self._history_lock:
            return [item for item in self._history if item[0] > after]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
