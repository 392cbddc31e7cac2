"""How a recording's sound reaches ffmpeg while it records, beside the frames on its stdin.

On POSIX ffmpeg inherits the read end of a pipe (``pipe:N``). Windows cannot hand a child
an extra descriptor, so there ffmpeg connects to a TCP socket we listen on at 127.0.0.1
(loopback only: nothing outside the machine can reach it). Either way a crash of ours
closes our end, ffmpeg reads the end of the sound and finishes the file.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable

TRANSPORTS = ("pipe", "socket")
DEFAULT_TRANSPORT = "pipe" if os.name == "posix" else "socket"
CONNECT_TIMEOUT_S = 10.0  # ffmpeg connects once it has opened the video input


class AudioLink:
    """One recording's sound channel to ffmpeg (``open`` before it starts, ``started``
    once it runs, then ``send`` from one thread and ``close``)."""

    def __init__(self, transport: str = DEFAULT_TRANSPORT) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"audio transport {transport!r}: one of {', '.join(TRANSPORTS)}")
        self.transport = transport
        self._fd: int | None = None  # our end of the pipe
        self._child_fd: int | None = None  # ffmpeg's end, until it has inherited it
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None

    def open(self) -> tuple[str, tuple[int, ...]]:
        """Before ffmpeg starts: (the input URL it reads the sound from, the descriptors
        it must inherit)."""
        if self.transport == "pipe":
            self._child_fd, self._fd = os.pipe()
            return f"pipe:{self._child_fd}", (self._child_fd,)
        self._listener = socket.create_server(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{self._listener.getsockname()[1]}", ()

    def started(self) -> None:
        """ffmpeg runs (or failed to start): our copy of its end goes."""
        if self._child_fd is not None:
            os.close(self._child_fd)
            self._child_fd = None

    def send(self, data: bytes, alive: Callable[[], bool]) -> None:
        """All of ``data``, blocking while ffmpeg is behind; OSError when it has gone.
        ``alive`` says whether ffmpeg still runs (while waiting for it to connect)."""
        if self.transport == "pipe":
            view = memoryview(data)
            while view:  # a write can be cut short by a signal: finish it
                view = view[os.write(self._fd, view) :]
            return
        self._connection(alive).sendall(data)

    def _connection(self, alive: Callable[[], bool]) -> socket.socket:
        if self._conn is not None:
            return self._conn
        if self._listener is None:
            raise BrokenPipeError("the sound's connection is closed")
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        self._listener.settimeout(0.1)
        while True:
            try:
                conn, _ = self._listener.accept()
                break
            except TimeoutError:
                if not alive() or time.monotonic() > deadline:
                    raise BrokenPipeError("ffmpeg did not connect to read the sound") from None
        conn.settimeout(None)
        self._listener.close()
        self._listener = None
        self._conn = conn
        return conn

    def close(self, alive: Callable[[], bool]) -> None:
        """The sound is complete: ffmpeg reads its end (a connection it has not made yet is
        taken first, so it sees an empty stream rather than a refusal)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.transport == "socket":
            with contextlib.suppress(OSError):
                self._connection(alive).shutdown(socket.SHUT_WR)
            for sock in (self._conn, self._listener):
                if sock is not None:
                    sock.close()
            self._conn = self._listener = None
