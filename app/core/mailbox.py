"""A size-1 mailbox: the latest value wins (DESIGN §3). Writers never wait on readers."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    """Holds the newest value put into it and a sequence number counting puts.

    Safe from any thread; the lock is held only for two assignments, so a display timer or a
    render thread reading it never stalls the producer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._seq = 0

    def put(self, value: T) -> None:
        """Replace the value (any thread)."""
        with self._lock:
            self._value = value
            self._seq += 1

    def get(self) -> tuple[int, T | None]:
        """(sequence number, latest value); (0, None) before the first put. Any thread."""
        with self._lock:
            return self._seq, self._value
