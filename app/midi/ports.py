"""MIDI input ports through python-rtmidi: list, open by name substring, any number at once,
rescanned every few seconds so hot-plugged devices are opened and returning ones reopened.

rtmidi calls back on its own (driver) thread holding the GIL: the callback only stamps the
time and queues the raw bytes. One dispatcher thread decodes and hands each message to
``on_message(port_name, message, arrival_s)``; nothing here touches Qt, and the callers'
handlers (controller maps, MIDI clock) run on that thread, never on the driver's.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.core.errors import UserError
from app.core.native import native_stderr_silenced

from .messages import MidiMessage, decode

Api = Literal["auto", "alsa", "jack"]
RESCAN_S = 2.0
CLIENT_NAME = "latentvj"


def _api_id(api: str) -> int:
    import rtmidi

    return {"alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK}[api]


def _probe(api: str):
    """An rtmidi input client on ``api``, or UserError saying why there is none."""
    import rtmidi

    os.environ.setdefault("JACK_NO_START_SERVER", "1")  # never start a JACK server by probing
    try:
        with native_stderr_silenced():  # ALSA prints its own error when /dev/snd/seq is absent
            probe = rtmidi.MidiIn(rtapi=_api_id(api), name=f"{CLIENT_NAME}-scan")
            probe.get_ports()  # the JACK API only fails here when no server runs
            return probe
    except rtmidi.RtMidiError as exc:
        raise UserError(f"MIDI ({api}): not available ({exc})") from exc


def resolve_api(api: Api) -> str:
    """``auto``: the ALSA sequencer when this machine has one, else a running JACK server."""
    if api != "auto":
        return api
    reasons = []
    for candidate in ("alsa", "jack"):
        try:
            _probe(candidate).delete()
            return candidate
        except UserError as exc:
            reasons.append(str(exc))
    raise UserError("no MIDI system: " + "; ".join(reasons))


def _others(probe) -> list[str]:
    return [p for p in probe.get_ports() if not p.startswith(CLIENT_NAME)]


def list_input_ports(api: Api = "auto") -> list[str]:
    """Names of the MIDI inputs the system offers now (our own ports left out)."""
    probe = _probe(resolve_api(api))
    try:
        return _others(probe)
    finally:
        probe.delete()


def matching(ports: list[str], pattern: str) -> list[str]:
    """Ports whose name contains ``pattern`` (case-insensitive); ``*`` matches all."""
    if pattern == "*":
        return list(ports)
    return [p for p in ports if pattern.lower() in p.lower()]


@dataclass
class _Open:
    name: str
    midi_in: object


class MidiInputs:
    """Keeps every port matching ``patterns`` open, reopening it after it goes away.

    ``open_ports()`` says which are open, ``events`` counts messages received, and
    ``on_ports_changed`` (optional) is called on the scanning thread after a port opened or
    closed (the MIDI panel and the tests listen there)."""

    def __init__(
        self,
        patterns: list[str],
        on_message: Callable[[str, MidiMessage, float], None],
        api: Api = "auto",
        rescan_s: float = RESCAN_S,
    ) -> None:
        self.patterns = patterns
        self.on_message = on_message
        self.api = resolve_api(api)  # UserError when there is no MIDI system at all
        # one client lists ports for every rescan: opening a JACK client is a graph change
        # the server synchronises on, too heavy to repeat every few seconds
        self._probe = _probe(self.api)
        self.rescan_s = rescan_s
        self.events = 0
        self.reopened = 0
        self.error: str | None = None
        self.on_ports_changed: Callable[[list[str]], None] | None = None
        self._open: dict[str, _Open] = {}
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, list[int], float] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._scanner = threading.Thread(target=self._scan_loop, name="midi-scan", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="midi", daemon=True)

    def start(self) -> "MidiInputs":
        self.rescan()  # open what is there now, before returning
        self._scanner.start()
        self._dispatcher.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._scanner.join()
        self._dispatcher.join()
        with self._lock:
            for port in self._open.values():
                port.midi_in.close_port()
                port.midi_in.delete()
            self._open.clear()
            if self._probe is not None:
                self._probe.delete()

    def open_ports(self) -> list[str]:
        with self._lock:
            return sorted(self._open)

    def rescan(self) -> None:
        """Open new matching ports, drop vanished ones (any thread; the scanner calls it)."""
        import rtmidi

        with self._lock:
            try:
                if self._probe is None:  # the MIDI system went away: try it again
                    self._probe = _probe(self.api)
                available = _others(self._probe)
            except (UserError, rtmidi.RtMidiError) as exc:
                self.error = f"MIDI ({self.api}): cannot list ports ({exc})"
                if self._probe is not None:
                    self._probe.delete()
                    self._probe = None
                return
            wanted = {p for pattern in self.patterns for p in matching(available, pattern)}
            before = set(self._open)
            for name in list(self._open):
                if name not in available:  # unplugged, or its client went away
                    gone = self._open.pop(name)
                    gone.midi_in.close_port()
                    gone.midi_in.delete()
            for name in sorted(wanted - set(self._open)):
                midi_in = rtmidi.MidiIn(rtapi=_api_id(self.api), name=CLIENT_NAME)
                # keep clock and transport (rtmidi drops timing messages by default)
                midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
                try:
                    midi_in.open_port(midi_in.get_ports().index(name), name="in")
                except (ValueError, rtmidi.RtMidiError) as exc:
                    midi_in.delete()
                    self.error = f"MIDI port '{name}': cannot be opened ({exc})"
                    continue
                midi_in.set_callback(self._callback, name)
                self._open[name] = _Open(name, midi_in)
                if name in self._seen:
                    self.reopened += 1
                self._seen.add(name)
            now_open = sorted(self._open)
        if set(now_open) != before and self.on_ports_changed is not None:
            self.on_ports_changed(now_open)

    def _callback(self, event: tuple[list[int], float], port: str) -> None:
        # driver thread: stamp and queue, nothing else
        self._queue.put((port, event[0], time.monotonic()))

    def _scan_loop(self) -> None:
        while not self._stop.wait(self.rescan_s):
            self.rescan()

    def _dispatch_loop(self) -> None:
        while (item := self._queue.get()) is not None:
            port, data, arrival = item
            message = decode(data)
            if message is None:
                continue
            self.events += 1
            try:
                self.on_message(port, message, arrival)
            except Exception as exc:  # a handler bug must not end MIDI input
                self.error = f"MIDI handler: {type(exc).__name__}: {exc}"
