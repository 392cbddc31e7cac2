"""A preallocated ring of audio samples: one writer (the PortAudio callback), readers with
their own cursors.

The callback only copies its block in and advances a counter: no locks, no allocation of
sample memory, no logging (DESIGN §3). A reader that falls more than a ring behind skips to
the oldest samples still held and counts what it lost, so a stall never blocks the callback.
"""

from __future__ import annotations

import numpy as np


class AudioRing:
    """``capacity`` frames of ``channels`` float32 samples."""

    def __init__(self, capacity: int, channels: int = 1) -> None:
        self.capacity = capacity
        self.channels = channels
        self._data = np.zeros((capacity, channels), dtype=np.float32)
        self.written = 0  # frames written since start; a Python int store is atomic under the GIL

    def write(self, block: np.ndarray) -> None:
        """Copy a [frames, channels] block in. Called from the audio callback thread."""
        total = block.shape[0]
        if total > self.capacity:  # only the newest ring-full can be kept
            self.written += total - self.capacity
            block = block[-self.capacity:]
        n = block.shape[0]
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        np.copyto(self._data[start:start + first], block[:first])
        if first < n:
            np.copyto(self._data[: n - first], block[first:])
        self.written += n

    def read(self, cursor: int, max_frames: int | None = None) -> tuple[np.ndarray, int, int]:
        """Frames written since ``cursor``: (samples [n, channels], new cursor, frames lost).

        Any thread. ``lost`` > 0 when the reader fell more than a ring behind.
        """
        written = self.written
        lost = max(0, written - cursor - self.capacity)
        cursor += lost
        n = written - cursor
        if max_frames is not None:
            n = min(n, max_frames)
        start = cursor % self.capacity
        first = min(n, self.capacity - start)
        out = np.concatenate([self._data[start:start + first], self._data[: n - first]])
        return out, cursor + n, lost
