"""The live engine as one object: audio in (a device, or a file played as input), the
analyzer thread, the render worker, the parameter store and MIDI, wired as DESIGN §3 says.

``live --headless`` prints its status; the desktop window pulls its frames and status on a
display timer. No Qt here: both front ends drive the same engine through ``command`` (the
performer's words), ``load_preset`` and the mailboxes.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import UserError, validation_message
from app.core.keyframes import KeyframeSizeError
from app.core.mailbox import Mailbox
from app.core.params import ParamStore
from app.core.patch import Patch
from app.core.tempo import TempoClock
from app.core.types import RenderedFrame

PICTURE_WORDS = {"flash": "flash", "freeze": "freeze", "blackout": "blackout",
                 "next": "next_keyframe", "previous": "previous_keyframe",
                 "random": "random_jump"}
LEARN_WORDS = ("learn", "commit", "cancel", "unbind", "save-map")
EDIT_FADE_BEATS = 1.0  # an edit of the playing motion morphs into place over this many beats


@dataclass
class LiveOptions:
    """What ``live`` was asked for; validated when the engine is built."""

    preset: str = "nebula-drift"
    audio_device: str | None = None     # index or name substring; None: the default input
    play: str | None = None             # a file to play as input, or "demo"
    channels: list[int] | None = None
    samplerate: int | None = None
    fps: float = 30.0
    size: tuple[int, int] = (640, 360)
    latency_ms: float = 0.0
    beat_tracker: str = "flux"          # flux, learned or madmom (optional package)
    device: str = "auto"
    auto_resolution: bool = True
    midi: list[str] = field(default_factory=list)
    midi_map: str | Path = "8-knobs-8-faders"
    midi_api: str = "auto"
    record: str | None = None           # record to this file from the start
    record_size: tuple[int, int] | None = None
    record_codec: str = "h264"
    record_quality: str = "standard"
    model: str | None = None            # play this model file / folder (--model)


@dataclass(frozen=True)
class LiveStatus:
    """One look at the engine (the status line, the HUD)."""

    bpm: float
    source: str
    locked: bool
    confidence: float
    fps: float
    render_ms: float
    latency_ms: float
    internal_size: tuple[int, int]
    drops: int
    input: str
    reconnects: int
    overflows: int
    lost: int
    midi_ports: int
    midi_messages: int
    frozen: bool
    blackout: bool
    playing: bool = True
    level_db: float = -180.0
    ahead_ms: float = 0.0               # beats are predicted this far ahead (render + output)
    recording: str | None = None        # the file being recorded
    record_s: float = 0.0
    record_drops: int = 0
    nudge_beats: float = 0.0            # the performer's phase shift held against the source

    def line(self) -> str:
        midi = f" midi={self.midi_ports}ports/{self.midi_messages}msgs" \
            if self.midi_ports or self.midi_messages else ""
        if self.recording:
            midi += f" rec={self.record_s:.1f}s/{self.record_drops}dropped"
        nudge = f" nudge={self.nudge_beats:+.3f}" if self.nudge_beats else ""
        return (f"bpm={self.bpm:6.1f} src={self.source}{'/lock' if self.locked else ''}{nudge} "
                f"conf={self.confidence:4.2f} fps={self.fps:5.1f} "
                f"render={self.render_ms:5.1f}ms latency={self.latency_ms:5.1f}ms "
                f"ahead={self.ahead_ms:5.1f}ms "
                f"res={self.internal_size[0]}x{self.internal_size[1]} drops={self.drops} "
                f"input={self.input} reconnects={self.reconnects} "
                f"overflows={self.overflows} lost={self.lost}{midi}")


def load_controller_map(name_or_path: str | Path, registry):
    """A shipped map by name or a map file; (map, problems). Unusable files raise UserError."""
    from app.midi.mapping import CONTROLLER_MAPS_DIR, load_map

    path = Path(name_or_path)
    if not path.suffix:
        path = CONTROLLER_MAPS_DIR / f"{name_or_path}.json"
        if not path.exists():
            shipped = ", ".join(sorted(p.stem for p in CONTROLLER_MAPS_DIR.glob("*.json")))
            raise UserError(f"--midi-map {str(name_or_path)!r}: no such shipped map "
                            f"(shipped: {shipped})")
    return load_map(path, registry)


class LiveEngine:
    """Build (validates everything, starts nothing), ``start``, ``stop``.

    ``take_notices()`` hands out one-line messages for the user, as (is_problem, text): bad
    map entries, a preset recalled or refused from MIDI, an unavailable trigger."""

    def __init__(self, options: LiveOptions) -> None:
        from app.core.presets import load_preset
        from app.engine.device import resolve_placement
        from app.engine.param_specs import build_registry

        self.options = options
        self.registry = build_registry()
        from app.engine.generators import with_missing_model_replaced, with_model

        self.patch, self._preset_path = load_preset(options.preset, self.registry)
        self.patch, missing = with_missing_model_replaced(
            with_model(self.patch, options.model), self._preset_path.parent)
        self._saved = self.patch
        self.placement = resolve_placement(options.device)
        from app.engine.generators import GeneratorCache

        self.generators = GeneratorCache()
        # patch edits (preset, model, motion, routes) come from several panels' threads;
        # each reads the current patch, builds on it and commits: one at a time, or a
        # second edit built on the same old patch would drop the first
        self._edits = threading.RLock()
        self._notices: queue.SimpleQueue[tuple[bool, str]] = queue.SimpleQueue()
        self._notify([missing] if missing else [])
        self.controller_map = None
        if options.midi:
            from app.midi.ports import resolve_api

            self.controller_map, problems = load_controller_map(options.midi_map,
                                                                self.registry)
            self._notify(problems)
            options.midi_api = resolve_api(options.midi_api)  # no MIDI system: fail now
        self.store = ParamStore(self.registry, self.patch.params)
        self.where = ""
        self.live_input = self.player = self.supervisor = None
        self.input_gain = 1.0  # applied before analysis (the audio panel's gain knob)
        self.ring = None
        self.analyzer = self.analysis = self.worker = self.midi = None
        self.recorder = self.capture = None
        self.render_compensation_s = 0.0  # the render worker's part of the lookahead

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LiveEngine":
        from app.engine.render_worker import RenderWorker

        o = self.options
        self._start_analysis(*self._start_audio())
        self.worker = RenderWorker(self._renderer_factory(self.patch, self._preset_path),
                                   o.size, self.analysis.latest, o.fps, on_frame=self._on_frame,
                                   auto_resolution=o.auto_resolution, params=self.store)
        self.worker.on_compensation = self._compensate
        self.worker.start()
        self.analysis.on_onset = self.worker.wake
        if o.midi:
            self._start_midi()
        if o.record:
            try:
                self.start_recording(Path(o.record))
            except UserError:
                self.stop()
                raise
        return self

    def _start_midi(self) -> None:
        from app.midi.session import MidiSession

        o = self.options
        # tempo commands go to whichever analyzer is current (switch_input replaces it)
        self.midi = MidiSession(o.midi, self.store, self.controller_map,
                                lambda command: self.analyzer.submit(command),
                                self._on_trigger, o.midi_api)
        self._apply_preset_midi(self.patch)
        self.midi.start()

    def open_midi(self, pattern: str) -> None:
        """Also listen to ports matching ``pattern`` (``*``: all), starting MIDI if it was
        off. Raises UserError when this machine has no MIDI system."""
        if self.midi is None:
            from app.midi.ports import resolve_api

            self.options.midi_api = resolve_api(self.options.midi_api)
            if self.controller_map is None:
                self.controller_map, problems = load_controller_map(self.options.midi_map,
                                                                    self.registry)
                self._notify(problems)
            self.options.midi = [pattern]
            self._start_midi()
        elif pattern not in self.midi.inputs.patterns:
            self.midi.inputs.patterns.append(pattern)
            self.midi.inputs.rescan()

    def stop(self) -> None:
        """Stop everything; a recording is finished first (its sound comes from the input,
        which must still be there) and waited for."""
        if self.recorder is not None:
            self.stop_recording()
            self.recorder.wait()
        for part in (self.midi, self.worker, self.analysis, self.supervisor, self.player,
                     self.live_input):
            if part is not None:
                part.stop()

    def _start_analysis(self, ring, sr: int, to_mono, clock: TempoClock | None = None) -> None:
        from app.audio.analysis_thread import AnalysisThread
        from app.audio.online import OnlineAnalyzer

        self.ring, self.samplerate = ring, sr
        self.analyzer = OnlineAnalyzer(sr, beats_per_bar=self.patch.beats_per_bar,
                                       lookahead_s=self.lookahead_s, clock=clock,
                                       tracker=self.options.beat_tracker)
        # a compensation report that raced with this switch went to the old analyzer
        self.analyzer.set_lookahead(self.lookahead_s)
        self.analysis = AnalysisThread(ring, self.analyzer,
                                       lambda block: self.input_gain * to_mono(block)).start()

    @property
    def lookahead_s(self) -> float:
        """How far ahead beats are predicted: the render time (measured) plus the output
        latency the performer gave (projector, capture chain), so a beat's frame is on the
        screen on the beat."""
        return self.render_compensation_s + self.options.latency_ms / 1000.0

    def _compensate(self, render_s: float) -> None:
        """The render worker's new estimate of its part (render thread; the analyzer takes
        it at its next hop)."""
        self.render_compensation_s = render_s
        self.analyzer.set_lookahead(self.lookahead_s)

    def switch_input(self, audio_device: str | None = None, play: str | None = None) -> None:
        """Listen to another input (or play a file, ``"demo"``) while the picture goes on:
        the new audio and analyzer start first (a bad device raises UserError and changes
        nothing), then the render worker follows the new analysis and the old parts stop.
        The beat clock goes on (the beat position does not jump, and the tempo source, lock,
        x2 / /2 and bar placement stay); with the audio source its tempo and phase then
        follow the new audio. Refused while recording (the recording's sound and clock come
        from the current input)."""
        if self.recording:
            raise UserError("input: stop recording before switching the input")
        old_audio = (self.supervisor, self.live_input, self.player)
        previous = (self.options.audio_device, self.options.play)
        self.options.audio_device, self.options.play = audio_device, play
        self.live_input = self.player = self.supervisor = None
        try:
            audio = self._start_audio()
        except UserError:
            self.supervisor, self.live_input, self.player = old_audio
            self.options.audio_device, self.options.play = previous
            raise
        self.analysis.stop()  # the clock's one writer stops; it goes on under the new one,
        clock = self.analyzer.clock  # whose stream time 0 is the old stream's time now
        clock.shift_time(self.stream_now()[0])
        self._start_analysis(*audio, clock=clock)
        self.worker.analysis = self.analysis.latest
        self.analysis.on_onset = self.worker.wake
        for part in old_audio:
            if part is not None:
                part.stop()

    def _start_audio(self):
        from app.audio.demo_track import demo_clip
        from app.audio.live_input import InputSupervisor, LiveInput
        from app.audio.loading import load_audio_file
        from app.audio.player_process import PlayerProcess

        o = self.options
        play = o.play
        if play is None:
            try:
                self.live_input = LiveInput(o.audio_device, o.samplerate, o.channels).start()
                self.supervisor = InputSupervisor(self.live_input).start()
            except UserError:
                if o.audio_device is not None:
                    raise
                play = "demo"  # no input device: play the demo track instead
        if play is not None:
            clip = demo_clip() if play == "demo" else load_audio_file(play)
            self.player = PlayerProcess(clip).start()
            self.where = (f"playing '{clip.name}' to {self.player.output_name}"
                          if self.player.output_name else
                          f"playing '{clip.name}' on the internal clock "
                          f"({self.player.fallback_reason})")
            return self.player.ring, self.player.sr, (lambda block: block.mean(axis=1))
        li = self.live_input
        self.where = f"input '{li.device.name}' at {li.samplerate} Hz (capture process)"
        return li.ring, li.samplerate, li.mono

    # -- reading ---------------------------------------------------------------------------
    def _notify(self, lines: list[str], problem: bool = True) -> None:
        for line in lines:
            self._notices.put((problem, line))

    def take_notices(self) -> list[tuple[bool, str]]:
        lines = []
        while not self._notices.empty():
            lines.append(self._notices.get())
        return lines

    @property
    def frames(self) -> Mailbox[RenderedFrame]:
        return self.worker.frames

    def status(self) -> LiveStatus:
        stats = self.worker.stats()
        clock = self.analyzer.clock
        sup = self.supervisor
        state = sup.state if sup else "file"
        return LiveStatus(
            bpm=clock.bpm, source=clock.source, locked=clock.locked,
            confidence=self.analyzer.tempo.confidence, fps=stats.fps,
            render_ms=stats.render_ms, latency_ms=stats.analysis_age_ms,
            internal_size=stats.internal_size, drops=stats.skipped, input=state,
            reconnects=sup.reconnects if sup else 0,
            overflows=self.live_input.overflows if self.live_input else 0,
            lost=self.analysis.lost_samples,
            midi_ports=len(self.midi.inputs.open_ports()) if self.midi else 0,
            midi_messages=self.midi.inputs.events if self.midi else 0,
            frozen=self.worker.frozen, blackout=self.worker.blackout,
            playing=not self.worker.stopped,
            level_db=self.analyzer.level_db, ahead_ms=1e3 * self.analyzer.lookahead_s,
            recording=str(self.recorder.path) if self.recording else None,
            record_s=self.recorder.elapsed_s if self.recording else 0.0,
            record_drops=self.recorder.writer.frames_dropped if self.recording else 0,
            nudge_beats=clock.phase_offset)

    def errors(self) -> list[str | None]:
        """The latest error of each part (None where there is none)."""
        sup = self.supervisor
        return [self.analysis.error, self.worker.last_error,
                sup.last_error if sup and sup.state != "ok" else None,
                self.midi.inputs.error if self.midi else None]

    # -- playing ---------------------------------------------------------------------------
    def _renderer_factory(self, patch: Patch, preset_path: Path, placement=None):
        from app.engine.renderer import FrameRenderer

        placement = placement or self.placement

        def make(size: tuple[int, int]) -> FrameRenderer:
            generator = self.generators.get(patch.generator, size, placement, patch.seed,
                                            preset_path.parent)
            return FrameRenderer(patch, self.registry, size, placement,
                                 preset_dir=preset_path.parent, generator=generator)
        return make

    def set_generator(self, kind: str, look: str | None = None, path: str | None = None,
                      device: str | None = None) -> Patch:
        """Play another generator (the model picker): a built-in ``field`` look, or a
        ``dcgan`` / ``torchscript`` file, on ``device``. It is built on this thread; a bad
        file or device raises UserError and the current generator keeps playing."""
        from pydantic import ValidationError

        from app.core.patch import GeneratorSpec
        from app.engine.device import resolve_placement

        with self._edits:
            fields = {**self.patch.generator.model_dump(), "kind": kind}
            if look is not None and look != fields["look"]:
                fields["look"], fields["shape"] = look, {}  # overrides belong to the old look
            fields["path"] = str(Path(path).resolve()) if path else None
            if kind == "field":
                fields["path"] = None
            try:
                spec = GeneratorSpec.model_validate(fields)
            except ValidationError as exc:
                raise UserError(f"model: {validation_message(exc)}") from None
            placement = resolve_placement(device) if device else self.placement
            patch = self.patch.model_copy(update={"generator": spec})
            self.generators.forget()  # the file may have changed since it was last loaded
            try:
                self._play(patch, self.preset_path, placement=placement)
            except KeyframeSizeError:  # the editor's keyframes belong to the old model's space
                patch = patch.model_copy(update={
                    "motion": patch.motion.model_copy(update={"vectors": None})})
                self._play(patch, self.preset_path, placement=placement)
                self._notify(["motion: the keyframes did not fit the new model's latent space; "
                              "it plays keyframes drawn from the seed"])
            self.placement = placement
            return patch

    def _play(self, patch: Patch, path: Path, fade_beats: float = 0.0,
              quantize: str = "bar", placement=None):
        """Build ``patch``'s renderer here (raises on bad input, nothing changes) and hand
        it to the render thread; it becomes the current patch."""
        renderer = self.worker.load(self._renderer_factory(patch, path, placement),
                                    fade_beats, quantize, note=self._patch_note(patch, path))
        self.patch = patch
        return renderer

    @property
    def keyframes(self):
        """The keyframes the current patch moves through, [n, latent_dim] (the seed's, a
        keyframes file's, or the editor's ``motion.vectors``)."""
        return self.worker.latest_renderer.motion.keyframes

    def still_renderer(self, size: tuple[int, int]):
        """A renderer of the current patch at ``size``, for pictures drawn off the render
        thread (the motion editor's thumbnails). Its generator comes from the cache, built
        once per latent space and size: a model file is not loaded again for every batch."""
        return self._renderer_factory(self.patch, self.preset_path)(size)

    def set_motion(self, motion: dict) -> Patch:
        """Replace the latent motion (the motion editor: keyframes, path, timing, layers).
        Checked here (UserError naming the field; the current motion plays on), then
        morphed into over EDIT_FADE_BEATS from now."""
        from pydantic import ValidationError

        from app.core.patch import MotionSpec

        try:
            spec = MotionSpec.model_validate(motion)
        except ValidationError as exc:
            joiner = "." if exc.errors()[0]["loc"] else ": "
            raise UserError(f"motion{joiner}{validation_message(exc)}") from None
        with self._edits:
            patch = self.patch.model_copy(update={"motion": spec})
            self._play(patch, self.preset_path, EDIT_FADE_BEATS, "now")
            return patch

    def set_playing(self, playing: bool) -> None:
        """The transport. Stop: the output goes black and nothing renders (the analysis and
        beat clock run on), and a file played as input stops and goes back to its start.
        Play: rendering resumes, and the file plays from the start."""
        self.worker.set_playing(playing)
        if self.player is not None:
            self.player.set_playing(playing)

    def _apply_preset_midi(self, patch: Patch) -> None:
        """The preset's own bindings on top of the controller map (the MIDI session owns
        both); unusable ones are notices."""
        if self.midi is not None:
            self._notify(self.midi.set_overrides(patch.midi, f"preset {patch.name}: midi"))

    def load_preset(self, name_or_path: str | Path, fade_beats: float = 0.0,
                    quantize: str = "bar") -> Patch:
        """Switch presets: built on the calling thread (a bad preset raises UserError and the
        current one keeps playing), swapped in by the render thread at its next frame, or
        crossfaded over ``fade_beats`` from the next beat or bar (``quantize``)."""
        from app.core.presets import load_preset

        from app.engine.generators import with_missing_model_replaced

        with self._edits:
            patch, path = load_preset(name_or_path, self.registry)
            patch, missing = with_missing_model_replaced(patch, path.parent)
            self._notify([missing] if missing else [])
            self._play(patch, path, fade_beats, quantize)
            for pid, value in {**self.registry.defaults(), **patch.params}.items():
                self.store.set(pid, value, source="preset")
            self._apply_preset_midi(patch)
            self._preset_path, self._saved = path, patch
            return patch

    @property
    def preset_path(self) -> Path:
        """The file the current preset came from (or was last saved to)."""
        return Path(self._preset_path)

    def preset_values(self) -> dict[str, float]:
        """The parameter values the current preset starts from."""
        return {**self.registry.defaults(), **self.patch.params}

    def is_dirty(self) -> bool:
        """Whether the knobs or the patch (routes, motion, model) differ from the preset as
        loaded or last saved."""
        saved = self.preset_values()
        content = {"name", "params"}
        return self.patch.model_dump(exclude=content) != self._saved.model_dump(
            exclude=content) or any(
            abs(v - saved[k]) > 1e-9 for k, v in self.store.snapshot().values.items())

    def set_routes(self, entries: list[dict]) -> list[str]:
        """Replace the modulation routes (the modulation matrix editor): each entry is
        checked on its own, bad ones are reported and left out, the rest play from the next
        frame (the renderer is rebuilt on this thread). Returns the problems."""
        from pydantic import ValidationError

        from app.core.modulation import ModRoute

        routes, problems = [], []
        for i, entry in enumerate(entries):
            where = f"route {i + 1} ({entry.get('source', '?')} -> {entry.get('target', '?')})"
            try:
                route = ModRoute.model_validate(entry)
            except ValidationError as exc:
                problems.append(f"{where}: {validation_message(exc)}")
                continue
            if route.target not in self.registry:
                problems.append(f"{where}: unknown parameter {route.target!r}")
                continue
            routes.append(route)
        with self._edits:
            self._play(self.patch.model_copy(update={"routes": routes}), self.preset_path)
        return problems

    def save_preset(self, path: Path, name: str | None = None) -> Patch:
        """The current preset with the knobs' values, written atomically to ``path``; it
        becomes the current preset (no longer dirty). An edit, like the others: a preset
        switch arriving meanwhile (a MIDI trigger) waits, instead of being undone when the
        save makes its older patch the current one."""
        from app.core import presets

        with self._edits:
            values = self.store.snapshot().values
            defaults = self.registry.defaults()
            params = {k: v for k, v in values.items() if abs(v - defaults[k]) > 1e-12}
            patch = self.patch.model_copy(update={"params": params,
                                                  "name": name or self.patch.name})
            presets.save_preset(patch, path)
            self.patch, self._preset_path, self._saved = patch, Path(path), patch
            return patch

    def renamed(self, path: Path, name: str) -> None:
        """The current preset's file was renamed (the knobs stay as they are)."""
        with self._edits:
            self.patch = self.patch.model_copy(update={"name": name})
            self._preset_path = Path(path)

    def _on_trigger(self, trigger) -> None:
        from app.engine.render_worker import WORKER_TRIGGERS
        from app.midi.session import TEMPO_TRIGGERS

        if trigger.name in WORKER_TRIGGERS:
            self.worker.trigger(trigger.name)
        elif trigger.name in TEMPO_TRIGGERS:  # the MIDI session sent it to the clock
            self._log_tempo(trigger.name, "midi")
        elif trigger.name == "record":
            try:
                self.toggle_recording()
            except UserError as exc:
                self._notify([str(exc)])
        else:  # "preset": the maps allow no other trigger names
            try:
                self.load_preset(trigger.argument)
                self._notify([f"preset: {trigger.argument}"], problem=False)
            except UserError as exc:  # the current preset keeps playing
                self._notify([str(exc)])

    def command(self, line: str) -> None:
        """A performer's command (stdin, or the window's controls): tempo commands go to
        the tempo clock's own thread, picture words (``flash``, ``freeze``, ``blackout``,
        ``next``, ``previous``, ``random``) to the render worker, ``learn PARAM``,
        ``commit``, ``cancel``, ``unbind PARAM``, ``save-map FILE`` to MIDI learn,
        ``record [FILE]`` starts or stops a recording, ``play`` / ``stop`` the
        transport. Raises ValueError naming the command when it is not one (UserError when
        a recording cannot start)."""
        from app.core.tempo import parse_command

        words = line.split()
        if not words:
            raise ValueError("empty command")
        name, rest = words[0].lower(), words[1:]
        if name in PICTURE_WORDS and not rest:
            self.worker.trigger(PICTURE_WORDS[name])
        elif name in LEARN_WORDS:
            self._learn_command(line, name, rest)
        elif name in ("play", "stop") and not rest:
            self.set_playing(name == "play")
        elif name == "record" and len(rest) <= 1:
            self.toggle_recording(Path(rest[0]) if rest else None)
        else:
            self.analyzer.submit(parse_command(line))
            self._log_tempo(line.strip(), "command")

    def _learn_command(self, line: str, name: str, rest: list[str]) -> None:
        from app.midi.mapping import save_map

        midi = self.midi
        if midi is None:
            raise ValueError(f"{line!r}: MIDI learn needs a MIDI input (--midi PORT)")
        if name == "learn" and len(rest) == 1:
            (midi.learn or midi.start_learning()).arm(rest[0])
        elif name in ("commit", "cancel") and not rest and midi.learn is not None:
            midi.finish_learning(commit=name == "commit")
        elif name == "unbind" and len(rest) == 1:
            (midi.learn or midi.start_learning()).unbind(rest[0])
        elif name == "save-map" and len(rest) == 1:
            save_map(midi.base, Path(rest[0]))
        else:
            raise ValueError(f"{line!r}: learn PARAM, commit, cancel (while learning), "
                             f"unbind PARAM, save-map FILE")

    # -- recording -------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.recorder is not None and self.recorder.active

    def stream_now(self) -> tuple[float, float]:
        """(seconds, beats) on the audio clock now: the newest analysis moved forward by
        its age, as the render worker places its frames."""
        _, timed = self.analysis.latest.get()
        if timed is None:
            return 0.0, 0.0
        age = time.monotonic() - timed.wall_s
        return timed.frame.t_s + age, timed.frame.beats + age * timed.frame.bpm / 60.0

    def _audio_source(self):
        from app.engine.recorder import AudioSource

        if self.live_input is not None:
            channels = tuple(c - 1 for c in self.live_input.channels)
        else:
            channels = tuple(range(self.ring.channels))
        return AudioSource(self.ring, self.analysis.origin, self.samplerate, channels)

    def recording_settings(self, path: Path | None = None):
        """The recording the options ask for, to ``path`` or else a new file named after
        the time in the user's recordings folder."""
        import datetime

        from app.core.paths import user_recordings_dir
        from app.engine.recorder import RecordingSettings

        o = self.options
        if path is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = user_recordings_dir() / f"latentvj-{stamp}.mkv"
        return RecordingSettings(Path(path), o.record_size, o.record_codec, o.record_quality)

    def start_recording(self, path: Path | None = None):
        """Record the output and the input's sound to ``path`` (see recording_settings),
        with a performance log beside it. Raises UserError naming the file when it cannot
        be recorded (the engine plays on either way)."""
        from app.engine.capture import PerformanceLog
        from app.engine.recorder import Recorder, performance_path

        if self.recording:
            raise UserError(f"record: already recording to '{self.recorder.path}'")
        settings = self.recording_settings(path)
        o = self.options
        settings.check(o.size)
        t0_s, _ = self.stream_now()
        note = self._patch_note(self.patch, self.preset_path)
        capture = PerformanceLog(performance_path(settings.path), t0_s, {
            "recording": settings.path.name, "fps": o.fps, "size": list(o.size), **note,
            "params": dict(self.store.snapshot().values), "samplerate": self.samplerate})
        recorder = Recorder(settings, o.size, o.fps, self._audio_source(),
                            {"preset": self.patch.name, "patch": note["patch"],
                             "input": self.where},
                            on_finished=lambda result: self._recording_finished(result, capture))
        self.capture = capture
        self.store.add_listener(self._log_param)
        self.worker.on_event = capture.add
        try:
            self.recorder = recorder.start(t0_s)
        except UserError:
            self._end_capture(capture)
            raise
        return recorder

    def stop_recording(self) -> None:
        """End the recording (returns at once; a notice says how it went)."""
        if self.recorder is not None:
            self.recorder.finish()

    def toggle_recording(self, path: Path | None = None) -> None:
        if self.recording:
            self.stop_recording()
        else:
            self.start_recording(path)
            self._notify([f"recording to '{self.recorder.path}'"], problem=False)

    def _on_frame(self, frame: RenderedFrame) -> None:
        """Every rendered frame (render thread): to the recorder and the clock log."""
        recorder, capture = self.recorder, self.capture
        if recorder is not None and recorder.active and frame.error is None:
            recorder.submit(frame)
            if capture is not None:
                capture.frame(frame.shown_s, frame.beats, frame.bpm, frame.bar_phase)

    def _shown_now(self) -> tuple[float, float]:
        """(seconds, beats) of the instant a frame drawn now shows: the stream's now plus
        the lookahead (where the recording places that frame, so the log says it too)."""
        t_s, beats = self.stream_now()
        return t_s + self.analyzer.lookahead_s, beats

    def _log_param(self, param_id: str, value: float, source: str) -> None:
        capture = self.capture
        if capture is not None:
            t_s, beats = self._shown_now()
            capture.add({"type": "param", "id": param_id, "value": value, "source": source,
                         "beats": round(beats, 6)}, t_s)

    def _log_tempo(self, command: str, source: str) -> None:
        capture = self.capture
        if capture is not None:
            t_s, beats = self._shown_now()
            capture.add({"type": "tempo", "command": command, "source": source,
                         "beats": round(beats, 6)}, t_s)

    def _patch_note(self, patch: Patch, path: Path) -> dict:
        """What a patch swap logs: the patch itself and where its files are."""
        return {"patch": patch.model_dump(mode="json"),
                "preset_dir": str(Path(path).parent.resolve())}

    def _end_capture(self, capture) -> None:
        """Stop logging into ``capture`` (when it is the current one) and close it."""
        if self.capture is capture:
            with contextlib.suppress(ValueError):
                self.store.remove_listener(self._log_param)
            self.worker.on_event = None
            self.capture = None
        capture.close()
        if capture.error:
            self._notify([capture.error])

    def _recording_finished(self, result, capture) -> None:
        """The recorder's finisher thread: close its log, tell the user how it went."""
        self._end_capture(capture)
        self._notify([result.line()], problem=result.error is not None)
