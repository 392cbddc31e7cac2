"""The live engine as one object: audio in (a device, or a file played as input), the
analyzer thread, the render worker, the parameter store and MIDI, wired as DESIGN §3 says.

``live --headless`` prints its status; the desktop window pulls its frames and status on a
display timer. No Qt here: both front ends drive the same engine through ``command`` (the
performer's words), ``load_preset`` and the mailboxes.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from app.core.errors import UserError
from app.core.mailbox import Mailbox
from app.core.params import ParamStore
from app.core.patch import Patch
from app.core.tempo import TempoClock
from app.core.types import RenderedFrame

from .options import LiveOptions, LiveStatus, load_controller_map
from .commands import LiveCommands
from .patches import PatchEdits
from .recording import LiveRecording

__all__ = ["LiveEngine", "LiveOptions", "LiveStatus", "load_controller_map"]



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
        from app.engine.generators import with_model

        self.edits = PatchEdits(self)
        patch, self._preset_path = load_preset(options.preset, self.registry)
        self.patch, missing = self.edits.stand_in_for_missing_model(
            with_model(patch, options.model), self._preset_path)
        self._saved = self.patch
        self.placement = resolve_placement(options.device)
        from app.engine.generators import GeneratorCache

        self.generators = GeneratorCache()
        # patch edits (preset, model, motion, routes) come from several panels' threads;
        # each reads the current patch, builds on it and commits: one at a time, or a
        # second edit built on the same old patch would drop the first
        self._edits = threading.RLock()
        self._notices: queue.SimpleQueue[tuple[bool, str]] = queue.SimpleQueue()
        self.notify([missing] if missing else [])
        self.controller_map = None
        if options.midi:
            from app.midi.ports import resolve_api

            self.controller_map, problems = load_controller_map(options.midi_map,
                                                                self.registry)
            self.notify(problems)
            options.midi_api = resolve_api(options.midi_api)  # no MIDI system: fail now
        self.store = ParamStore(self.registry, self.patch.params)
        self.where = ""
        self.live_input = self.player = self.supervisor = None
        self.input_gain = 1.0  # applied before analysis (the audio panel's gain knob)
        self.ring = None
        self.analyzer = self.analysis = self.worker = self.midi = None
        self.recordings = LiveRecording(self)
        self.commands = LiveCommands(self)
        self.render_compensation_s = 0.0  # the render worker's part of the lookahead

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LiveEngine":
        from app.engine.render_worker import RenderWorker

        o = self.options
        self._start_analysis(*self._start_audio())
        self.worker = RenderWorker(self._renderer_factory(self.patch, self._preset_path),
                                   o.size, self.analysis.latest, o.fps,
                                   on_frame=self.recordings.on_frame,
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
                self.notify(problems)
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
    def notify(self, lines: list[str], problem: bool = True) -> None:
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

    def _play(self, patch: Patch, path: Path, fade_beats: float = 0.0,
              quantize: str = "bar", placement=None):
        """Build ``patch``'s renderer here (raises on bad input, nothing changes) and hand
        it to the render thread; it becomes the current patch."""
        renderer = self.worker.load(self._renderer_factory(patch, path, placement),
                                    fade_beats, quantize, note=self.patch_note(patch, path))
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
            self.notify(self.midi.set_overrides(patch.midi, f"preset {patch.name}: midi"))

    @property
    def preset_path(self) -> Path:
        """The file the current preset came from (or was last saved to)."""
        return Path(self._preset_path)

    # -- editing the patch (PatchEdits does the work) ----------------------------------------
    def load_preset(self, name_or_path: str | Path, fade_beats: float = 0.0,
                    quantize: str = "bar") -> Patch:
        """Switch presets (``PatchEdits.load_preset``)."""
        return self.edits.load_preset(name_or_path, fade_beats, quantize)

    def set_generator(self, kind: str, look: str | None = None, path: str | None = None,
                      device: str | None = None) -> Patch:
        """Play another generator (``PatchEdits.set_generator``)."""
        return self.edits.set_generator(kind, look, path, device)

    def set_motion(self, motion: dict) -> Patch:
        return self.edits.set_motion(motion)

    def set_routes(self, entries: list[dict]) -> list[str]:
        return self.edits.set_routes(entries)

    def save_preset(self, path: Path, name: str | None = None) -> Patch:
        return self.edits.save_preset(path, name)

    def renamed(self, path: Path, name: str) -> None:
        self.edits.renamed(path, name)

    def preset_values(self) -> dict[str, float]:
        return self.edits.preset_values()

    def is_dirty(self) -> bool:
        return self.edits.is_dirty()

    # -- the performer's words (LiveCommands does the work) ------------------------------------
    def command(self, line: str) -> None:
        """A performer's command (``LiveCommands.run``): stdin, the window's controls."""
        self.commands.run(line)

    def _on_trigger(self, trigger) -> None:
        self.commands.on_trigger(trigger)

    # -- recording (LiveRecording does the work) ----------------------------------------------
    @property
    def recording(self) -> bool:
        return self.recordings.active

    @property
    def recorder(self):
        return self.recordings.recorder

    @property
    def capture(self):
        return self.recordings.capture

    def recording_settings(self, path: Path | None = None):
        return self.recordings.settings(path)

    def start_recording(self, path: Path | None = None):
        """Record the output and the input's sound (``LiveRecording.start``)."""
        return self.recordings.start(path)

    def stop_recording(self) -> None:
        self.recordings.stop()

    def toggle_recording(self, path: Path | None = None) -> None:
        self.recordings.toggle(path)

    def stream_now(self) -> tuple[float, float]:
        """(seconds, beats) on the audio clock now: the newest analysis moved forward by
        its age, as the render worker places its frames."""
        _, timed = self.analysis.latest.get()
        if timed is None:
            return 0.0, 0.0
        age = time.monotonic() - timed.wall_s
        return timed.frame.t_s + age, timed.frame.beats + age * timed.frame.bpm / 60.0

    def shown_now(self) -> tuple[float, float]:
        """(seconds, beats) of the instant a frame drawn now shows: the stream's now plus
        the lookahead (where the recording places that frame, so the log says it too)."""
        t_s, beats = self.stream_now()
        return t_s + self.analyzer.lookahead_s, beats

    def patch_note(self, patch: Patch, path: Path) -> dict:
        """What a patch swap logs: the patch itself and where its files are."""
        return {"patch": patch.model_dump(mode="json"),
                "preset_dir": str(Path(path).parent.resolve())}
