"""A preallocated ring of audio samples: one writer (the PortAudio callback), readers with
their own cursors.

The callback only copies its block in and advances a counter: no locks, no allocation of
sample memory, no logging (DESIGN §3). A reader that falls more than a ring behind skips to
the oldest samples still held and counts what it lost, so a stall never blocks the callback.

The ring can live in shared memory (``AudioRing.shared`` / ``AudioRing.attach``), so the
writer can be another process: the live input runs PortAudio in a child process that the
engine can kill and restart when a device or audio server dies (native audio code can hang
then, and must not take the engine with it). The counters sit in the same block: the writer
stores samples first, then the 64-bit count (a single aligned store), so a reader that sees
the count sees the samples.

A block is named after the process that made it (``latentvj-<pid>-<random>``): a process
killed outright (kill -9, a crash in native code) cannot unlink its block, and /dev/shm is
memory, so each new ring first removes the blocks whose maker is no longer running.
"""

from __future__ import annotations

import os
import secrets
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np

_HEADER = 4  # uint64 counters: frames written, overflow flags, callbacks, writer heartbeat
SHM_PREFIX = "latentvj-"
SHM_DIR = Path("/dev/shm")  # where Linux keeps POSIX shared memory; elsewhere: no sweep


class AudioRing:
    """``capacity`` frames of ``channels`` float32 samples, optionally in shared memory."""

    def __init__(self, capacity: int, channels: int = 1, buffer: memoryview | None = None) -> None:
        self.capacity = capacity
        self.channels = channels
        if buffer is None:
            buffer = memoryview(bytearray(self.nbytes(capacity, channels)))
        self._counters = np.ndarray((_HEADER,), dtype=np.uint64, buffer=buffer)
        self._data = np.ndarray(
            (capacity, channels), dtype=np.float32, buffer=buffer, offset=8 * _HEADER
        )
        self._shm: shared_memory.SharedMemory | None = None

    @staticmethod
    def nbytes(capacity: int, channels: int) -> int:
        return 8 * _HEADER + 4 * capacity * channels

    @classmethod
    def shared(cls, capacity: int, channels: int) -> "AudioRing":
        """A new ring in a shared-memory block (``name`` identifies it to other processes)."""
        remove_stale_blocks()
        name = f"{SHM_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        shm = shared_memory.SharedMemory(
            name=name, create=True, size=cls.nbytes(capacity, channels)
        )
        ring = cls(capacity, channels, shm.buf)
        ring._counters[:] = 0
        ring._shm = shm
        return ring

    @classmethod
    def attach(cls, name: str, capacity: int, channels: int) -> "AudioRing":
        """The ring another process created (the writer side attaches)."""
        shm = shared_memory.SharedMemory(name=name)
        ring = cls(capacity, channels, shm.buf)
        ring._shm = shm
        return ring

    @property
    def name(self) -> str | None:
        return self._shm.name if self._shm is not None else None

    def close(self, unlink: bool = False) -> None:
        """Release the shared block (the creator unlinks it)."""
        if self._shm is not None:
            del self._counters, self._data
            self._shm.close()
            if unlink:
                self._shm.unlink()
            self._shm = None

    @property
    def written(self) -> int:
        return int(self._counters[0])

    @property
    def overflows(self) -> int:
        return int(self._counters[1])

    @property
    def callbacks(self) -> int:
        return int(self._counters[2])

    def count_overflow(self) -> None:
        self._counters[1] += 1

    def write(self, block: np.ndarray) -> None:
        """Copy a [frames, channels] block in. Called from the audio callback thread."""
        written = int(self._counters[0])
        total = block.shape[0]
        if total > self.capacity:  # only the newest ring-full can be kept
            written += total - self.capacity
            block = block[-self.capacity :]
        n = block.shape[0]
        start = written % self.capacity
        first = min(n, self.capacity - start)
        np.copyto(self._data[start : start + first], block[:first])
        if first < n:
            np.copyto(self._data[: n - first], block[first:])
        self._counters[0] = written + n  # publish after the samples are in place
        self._counters[2] += 1

    def read(self, cursor: int, max_frames: int | None = None) -> tuple[np.ndarray, int, int]:
        """Frames written since ``cursor``: (samples [n, channels], new cursor, frames lost).

        Any thread or process. ``lost`` > 0 when the reader fell more than a ring behind.
        """
        written = self.written
        lost = max(0, written - cursor - self.capacity)
        cursor += lost
        n = written - cursor
        if max_frames is not None:
            n = min(n, max_frames)
        start = cursor % self.capacity
        first = min(n, self.capacity - start)
        out = np.concatenate([self._data[start : start + first], self._data[: n - first]])
        return out, cursor + n, lost


def remove_stale_blocks(shm_dir: Path = SHM_DIR) -> list[str]:
    """Unlink the rings left by latentvj processes that have ended without unlinking them;
    returns their names. Blocks of running processes, and other users' blocks, stay."""
    removed = []
    try:
        entries = list(shm_dir.glob(f"{SHM_PREFIX}*"))
    except OSError:
        return removed
    for entry in entries:
        pid = entry.name[len(SHM_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        try:
            entry.unlink()
        except OSError:  # gone meanwhile, or not ours to remove
            continue
        removed.append(entry.name)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True
