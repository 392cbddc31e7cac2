"""OSC over UDP: a listener on its own thread and a sender, with python-osc's packet
codec. Bad traffic never reaches the show: a datagram that is not OSC, a message for no
address, wrong arguments are counted and dropped on the listener's thread, which only
ever hands checked actions on (the render thread never sees a packet)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import UserError

from .addresses import OscProblem


class _QuietBundles(logging.Filter):
    """python-osc logs a warning (on the root logger) for every bundle element it cannot
    identify: a flood of garbage would flood stderr. We count those packets instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.endswith(os.path.join("pythonosc", "osc_bundle.py"))


logging.getLogger().addFilter(_QuietBundles())
RECEIVE_BUFFER = 8 * 2**20  # a burst of thousands of packets waits here, not dropped
POLL_S = 0.25  # the listener looks at its stop flag this often


def parse_endpoint(text: str, flag: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``PORT`` or ``HOST:PORT`` as (host, port); UserError naming ``flag`` otherwise."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise UserError(f"{flag} {text!r}: not PORT or HOST:PORT") from None
    if not 1 <= number <= 65535:
        raise UserError(f"{flag} {text!r}: the port must be 1-65535")
    return (host or default_host), number


@dataclass
class OscCounts:
    """What the listener received: applied messages, and the ones it dropped by why."""

    messages: int = 0
    malformed: int = 0  # datagrams that are not OSC
    unknown: int = 0  # no such address
    rejected: int = 0  # wrong arguments
    clamped: int = 0  # applied, out of range: clamped

    @property
    def dropped(self) -> int:
        return self.malformed + self.unknown + self.rejected


class OscIn:
    """Listens on ``host``:``port`` (127.0.0.1 unless the user names another interface)
    and calls ``handle(address, args)`` for each message of each datagram, bundles
    included, in order; ``handle`` returns True when it clamped a value and raises
    OscProblem to have the message counted and dropped."""

    def __init__(self, host: str, port: int, handle: Callable[[str, list[Any]], bool]) -> None:
        self.handle = handle
        self.counts = OscCounts()
        self.error: str | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._raise_buffer()
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise UserError(f"--osc-in {host}:{port}: cannot listen ({exc.strerror})") from None
        self.address = self._sock.getsockname()
        self._sock.settimeout(POLL_S)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="osc-in", daemon=True)

    def _raise_buffer(self) -> None:
        force = getattr(socket, "SO_RCVBUFFORCE", None)  # Linux, as root: past rmem_max
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, force or socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)

    def start(self) -> OscIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._sock.close()

    def _run(self) -> None:
        from pythonosc.osc_packet import OscPacket, ParseError

        while not self._stop.is_set():
            try:
                data, _ = self._sock.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                self.error = f"OSC in: {exc}"
                return
            try:
                messages = [timed.message for timed in OscPacket(data).messages]
            except (ParseError, ValueError, IndexError, TypeError, OverflowError):
                messages = []
            if not messages:  # not OSC, or a bundle of nothing we can read
                self.counts.malformed += 1
                continue
            for message in messages:
                self._one(message.address, list(message.params))

    def _one(self, address: str, args: list[Any]) -> None:
        try:
            clamped = self.handle(address, args)
        except OscProblem as problem:
            if problem.kind == "unknown":
                self.counts.unknown += 1
            else:
                self.counts.rejected += 1
            return
        except UserError as exc:  # a preset that failed to load: the show goes on
            self.error = str(exc)
            self.counts.messages += 1
            return
        self.counts.messages += 1
        self.counts.clamped += int(bool(clamped))


class OscOut:
    """Sends messages and bundles to every target (UDP: a target that is not there costs
    nothing and stops nothing)."""

    def __init__(self, targets: list[tuple[str, int]]) -> None:
        self.targets = targets
        self.sent = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, messages: list[tuple[str, list[Any]]]) -> None:
        """``messages`` as one bundle (one datagram) to each target."""
        from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
        from pythonosc.osc_message_builder import OscMessageBuilder

        if not messages or not self.targets:
            return
        bundle = OscBundleBuilder(IMMEDIATELY)
        for address, args in messages:
            builder = OscMessageBuilder(address)
            for arg in args:
                builder.add_arg(arg)
            bundle.add_content(builder.build())
        data = bundle.build().dgram
        for target in self.targets:
            try:
                self._sock.sendto(data, target)
                self.sent += 1
            except OSError:  # no route, or a full buffer: the next bundle tries again
                pass

    def close(self) -> None:
        self._sock.close()
