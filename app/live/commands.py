"""The performer's command language: one path for every way a command arrives (words typed
on stdin, the window's controls, MIDI triggers, and later OSC), so each does the same
thing whichever way it came."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError

if TYPE_CHECKING:
    from .engine import LiveEngine

PICTURE_WORDS = {
    "flash": "flash",
    "freeze": "freeze",
    "blackout": "blackout",
    "next": "next_keyframe",
    "previous": "previous_keyframe",
    "random": "random_jump",
    "reseed": "reseed",
}
LEARN_WORDS = ("learn", "commit", "cancel", "unbind", "save-map")
OSC_LEARN_WORDS = ("learn-osc", "cancel-osc", "unbind-osc")


class LiveCommands:
    """Commands and triggers of one live engine, applied to its current parts."""

    def __init__(self, engine: LiveEngine) -> None:
        self.engine = engine

    def on_trigger(self, trigger) -> None:
        from app.engine.render_worker import WORKER_TRIGGERS
        from app.midi.session import TEMPO_TRIGGERS

        if trigger.name in WORKER_TRIGGERS:
            self.engine.worker.trigger(trigger.name)
        elif trigger.name in TEMPO_TRIGGERS:  # the MIDI session sent it to the clock
            self.engine.recordings.log_tempo(trigger.name, "midi")
        elif trigger.name == "transport":
            self.engine.set_playing(self.engine.worker.stopped)
        elif trigger.name == "window":  # the window's own actions: it takes them
            self.engine.request_window(trigger.argument)
        else:
            try:
                self._session_trigger(trigger.name, trigger.argument)
            except UserError as exc:  # the current preset keeps playing
                self.engine.notify([str(exc)])

    def _session_trigger(self, name: str, argument: str) -> None:
        launcher = self.engine.launcher
        if name == "record":
            self.engine.toggle_recording()
        elif name == "cue":  # a launcher cell of the page shown
            patch = launcher.cue_cell(int(argument) - 1)
            self.engine.notify([f"cued: {patch.name}"], problem=False)
        elif name in ("page_next", "page_previous"):
            launcher.turn(1 if name == "page_next" else -1)
        else:  # "preset": the maps allow no other trigger names
            launcher.cue(argument)
            self.engine.notify([f"preset: {argument}"], problem=False)

    def run(self, line: str) -> None:
        """A performer's command (stdin, or the window's controls): tempo commands go to
        the tempo clock's own thread, picture words (``flash``, ``freeze``, ``blackout``,
        ``next``, ``previous``, ``random``, ``reseed``) to the render worker, ``learn PARAM``,
        ``commit``, ``cancel``, ``unbind PARAM``, ``save-map FILE`` to MIDI learn,
        ``learn-osc TARGET``, ``cancel-osc``, ``unbind-osc ADDRESS`` to OSC learn,
        ``record [FILE]`` starts or stops a recording, ``play`` / ``stop`` the
        transport, ``cue CELL`` (1-32, on the launcher's page) or ``cue PRESET`` lands a
        preset on the next bar with the launcher's crossfade, ``page next|previous`` turns
        the launcher's page. Raises ValueError naming the command when it is not one
        (UserError when a recording cannot start or a preset cannot be cued)."""
        from app.core.tempo import parse_command

        words = line.split()
        if not words:
            raise ValueError("empty command")
        name, rest = words[0].lower(), words[1:]
        if name in PICTURE_WORDS and not rest:
            self.engine.worker.trigger(PICTURE_WORDS[name])
        elif name == "save-map" and len(rest) == 1:
            self.engine.save_map(path=Path(rest[0]))
        elif name in LEARN_WORDS:
            self._learn(line, name, rest)
        elif name in OSC_LEARN_WORDS:
            self._learn_osc(line, name, rest)
        elif name in ("play", "stop") and not rest:
            self.engine.set_playing(name == "play")
        elif name == "record" and len(rest) <= 1:
            self.engine.toggle_recording(Path(rest[0]) if rest else None)
        elif name == "cue" and len(rest) == 1:
            launcher = self.engine.launcher
            if rest[0].isdigit():
                launcher.cue_cell(int(rest[0]) - 1)
            else:
                launcher.cue(rest[0])
        elif name == "page" and rest in (["next"], ["previous"]):
            self.engine.launcher.turn(1 if rest[0] == "next" else -1)
        else:
            self.engine.analyzer.submit(parse_command(line))
            self.engine.recordings.log_tempo(line.strip(), "command")

    def _learn(self, line: str, name: str, rest: list[str]) -> None:
        midi = self.engine.midi
        if not midi.active:
            raise ValueError(f"{line!r}: MIDI learn needs a MIDI input (--midi PORT)")
        if name == "learn" and len(rest) in (1, 2):
            midi.arm(*rest)
        elif name in ("commit", "cancel") and not rest and midi.learn is not None:
            midi.finish(commit=name == "commit")
        elif name == "unbind" and len(rest) in (1, 2):
            midi.unbind(*rest)
        else:
            raise ValueError(
                f"{line!r}: learn TARGET [ARGUMENT], commit, cancel (while "
                f"learning), unbind TARGET [ARGUMENT], save-map FILE"
            )

    def _learn_osc(self, line: str, name: str, rest: list[str]) -> None:
        osc = self.engine.osc
        if name == "learn-osc" and len(rest) in (1, 2):
            osc.arm(*rest)
        elif name == "cancel-osc" and not rest:
            osc.cancel()
        elif name == "unbind-osc" and len(rest) == 1:
            osc.unbind(rest[0])
        else:
            raise ValueError(
                f"{line!r}: learn-osc TARGET [ARGUMENT], cancel-osc, unbind-osc ADDRESS"
            )
