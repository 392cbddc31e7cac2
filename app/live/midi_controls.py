"""MIDI in a live session: opening ports (at start or later), the controller map (loaded
from the map file, edited in the table, learned, saved) and the playing preset's own
bindings on top of it, and what the window shows of it (ports, learn state, a monitor).

The MIDI session (``app.midi.session``) is the map's one owner; this is the session's
side of it, so the window never reaches into the MIDI package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import UserError
from app.core.params import ParamRegistry, ParamStore
from app.core.paths import user_presets_dir
from app.core.patch import Patch

from .options import load_controller_map

if TYPE_CHECKING:
    from app.midi.controls import Trigger
    from app.midi.mapping import ControllerMap
    from app.midi.session import MidiSession

    from .rig import Rig


@dataclass(frozen=True)
class MidiState:
    """What the MIDI panel shows: the open ports and the patterns waited for, and learning
    (``armed``: the target a control is being learned for; ``pending``: bindings learned
    but not committed; ``learning`` False when not learning)."""

    open_ports: list[str]
    patterns: list[str]
    learning: bool = False
    armed: str | None = None
    pending: int = 0


def map_file_name(name: str) -> str:
    """A controller map's file name from the name the user typed."""
    return f"{''.join(c if c.isalnum() or c in '-_' else '-' for c in name)}.json"


class LiveMidi:
    """The MIDI side of one live engine: ``session`` is None until MIDI is opened."""

    def __init__(
        self,
        registry: ParamRegistry,
        store: ParamStore,
        rig: Rig,
        map_path: str | None,
        notify: Callable[[list[str]], None],
    ) -> None:
        self.registry, self.store, self.rig = registry, store, rig
        self.map_path = map_path
        self.notify = notify
        self.session: MidiSession | None = None
        self.api: str | None = None
        self._make_inputs: Callable[..., Any] | None = None
        self._controller_map: ControllerMap | None = None

    def prepare(self, api: str | None) -> None:
        """Find the MIDI system and read the map file (bad entries are notices). Raises
        UserError when this machine has no MIDI system (before anything starts)."""
        if self._controller_map is None:  # a bad map file is named first
            self._controller_map, problems = load_controller_map(self.map_path, self.registry)
            self.notify(problems)
        self.api, self._make_inputs = self.rig.midi_system(api)

    def start(
        self,
        patterns: list[str],
        submit_tempo: Callable[[Any], None],
        on_trigger: Callable[[Trigger], None],
        patch: Patch,
    ) -> None:
        from app.midi.session import MidiSession

        extra = {"make_inputs": self._make_inputs} if self._make_inputs else {}
        self.session = MidiSession(
            patterns, self.store, self._controller_map, submit_tempo, on_trigger, self.api, **extra
        )
        self.apply_preset(patch)
        self.session.start()

    def open(self, pattern: str) -> bool:
        """Also listen to ports matching ``pattern``; False when MIDI is not started yet
        (the engine starts it with this pattern)."""
        if self.session is None:
            return False
        if pattern not in self.session.inputs.patterns:
            self.session.inputs.patterns.append(pattern)
            self.session.inputs.rescan()
        return True

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()

    def apply_preset(self, patch: Patch) -> None:
        """The preset's own bindings on top of the controller map while it plays;
        unusable ones are notices."""
        if self.session is not None:
            self.notify(self.session.set_overrides(patch.midi, f"preset {patch.name}: midi"))

    @property
    def active(self) -> bool:
        """Whether MIDI is open (at start with --midi, or later from the window)."""
        return self.session is not None

    # -- the controller map ------------------------------------------------------------------
    @property
    def controller_map(self) -> ControllerMap | None:
        """The controller map without any preset's overrides (None while MIDI is off)."""
        return self.session.base if self.session is not None else None

    @property
    def learn(self):
        return self.session.learn if self.session is not None else None

    def set_bindings(self, entries: list[dict]) -> tuple[ControllerMap, list[str]]:
        """The mapping table, read again as the controller map: bad rows are reported and
        left out, the rest play (the playing preset's bindings stay on top)."""
        from app.midi.mapping import parse_map

        session = self._need_session("edit the mapping")
        current = session.base
        cmap, problems = parse_map(
            {"name": current.name, "description": current.description, "bindings": entries},
            self.registry,
            "mapping table",
        )
        session.set_base(cmap)
        return cmap, problems

    def save_map(
        self, name: str | None = None, path: Path | None = None, osc: list | None = None
    ) -> Path:
        """Write the controller map (never the preset's overrides), with ``osc`` (the OSC
        addresses learned) when given, to ``path``, or, given only a ``name``, to the
        user's controllers folder; atomically. Without MIDI open, the map file read at
        start (or a new one) holds the OSC addresses."""
        from app.midi.mapping import ControllerMap, save_map

        if self.session is not None:
            cmap = self.session.base
        elif osc is not None:
            cmap = self._controller_map or ControllerMap(name=name or "controller")
        else:
            cmap = self._need_session("save the map").base
        if name:
            cmap = cmap.model_copy(update={"name": name})
        if osc is not None:
            cmap = cmap.model_copy(update={"osc": list(osc)})
        if path is None:
            folder = user_presets_dir() / "controllers"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / map_file_name(name or cmap.name or "controller")
        save_map(cmap, Path(path))
        return Path(path)

    # -- learning ----------------------------------------------------------------------------
    def arm(self, target: str, argument: str = "") -> None:
        """Learn the next control moved for ``target`` (a trigger with its ``argument``).
        Raises ValueError naming a bad target."""
        session = self._need_session("learn")
        (session.learn or session.start_learning()).arm(target, argument)

    def unbind(self, target: str, argument: str | None = None) -> None:
        session = self._need_session("unbind")
        (session.learn or session.start_learning()).unbind(target, argument)

    def finish(self, commit: bool) -> bool:
        """Commit or cancel what was learned; False when nothing was being learned."""
        session = self._need_session("learn")
        if session.learn is None:
            return False
        session.finish_learning(commit)
        return True

    def _need_session(self, what: str) -> MidiSession:
        if self.session is None:
            raise UserError(f"MIDI: open a MIDI input (--midi PORT) to {what}")
        return self.session

    # -- what the window shows ---------------------------------------------------------------
    def state(self) -> MidiState | None:
        session = self.session
        if session is None:
            return None
        learn = session.learn
        return MidiState(
            session.inputs.open_ports(),
            list(session.inputs.patterns),
            learn is not None,
            learn.armed if learn else None,
            len(learn.pending) if learn else 0,
        )

    def recent(self, after: int = 0) -> list[tuple[int, str, str]]:
        """Messages received after number ``after``: (number, port, the message in words)."""
        from app.midi.messages import describe

        if self.session is None:
            return []
        return [(n, port, describe(message)) for n, port, message, _ in self.session.recent(after)]

    def counts(self) -> tuple[int, int]:
        """(open ports, messages received) for the status line."""
        if self.session is None:
            return 0, 0
        return len(self.session.inputs.open_ports()), self.session.inputs.events

    def error(self) -> str | None:
        return self.session.inputs.error if self.session is not None else None
