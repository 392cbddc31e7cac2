"""The live engine as one object: audio in (a device, or a file played as input), the
analyzer thread, the render worker, the parameter store and MIDI, wired as DESIGN §3 says.

``live --headless`` prints its status; the desktop window pulls its frames and status on a
display timer. No Qt here: both front ends drive the same engine through ``command`` (the
performer's words), ``load_preset`` and the mailboxes.
"""

from __future__ import annotations

import queue
import time
from pathlib import Path

from app.core.errors import UserError
from app.core.mailbox import Mailbox
from app.core.patch import Patch
from app.core.paths import user_presets_dir
from app.core.presets import SHIPPED_PRESETS_DIR
from app.core.tempo import TempoClock
from app.core.types import RenderedFrame
from app.engine.video_sources import LiveFeeds

from .commands import LiveCommands
from .launcher import THUMB_BEATS, Launcher
from .midi_controls import LiveMidi
from .options import InputTap, LiveOptions, LiveStatus, load_controller_map
from .osc_session import LiveOsc
from .patches import PatchEdits
from .recording import LiveRecording
from .rig import AudioFeed, DeviceRig, Rig

__all__ = ["LiveEngine", "LiveOptions", "LiveStatus"]


class LiveEngine:
    """Build (validates everything, starts nothing), ``start``, ``stop``.

    ``rig`` opens the audio input and the MIDI system (the real devices by default; a test
    gives its own sources). ``take_notices()`` hands out one-line messages for the user, as
    (is_problem, text): bad map entries, a preset recalled or refused from MIDI, an
    unavailable trigger."""

    def __init__(self, options: LiveOptions, rig: Rig | None = None) -> None:
        from app.engine.device import resolve_placement
        from app.engine.generators import GeneratorCache
        from app.engine.param_specs import build_registry

        self.options = options
        self.rig: Rig = rig or DeviceRig()
        self.registry = build_registry()
        self._notices: queue.SimpleQueue[tuple[bool, str]] = queue.SimpleQueue()
        self._window_requests: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.generators = GeneratorCache()
        self.edits = PatchEdits(
            self.registry,
            self.generators,
            resolve_placement(options.device),
            options.preset,
            options.model,
            self.notify,
            on_preset=lambda patch: self.midi.apply_preset(patch),
        )
        self.store = self.edits.store
        # video layers decode (and video generators draw) on threads of their own
        self.feeds = LiveFeeds(options.size, str(self.edits.placement.device))
        self.edits.layer_feed = self.feeds.feed
        self.midi = LiveMidi(self.registry, self.store, self.rig, options.midi_map, self.notify)
        if options.midi:
            self.midi.prepare(options.midi_api)  # no MIDI system: fail now
        self.where = ""
        self.audio: AudioFeed | None = None
        self.input_gain = 1.0  # applied before analysis (the audio panel's gain knob)
        self.analyzer = self.analysis = self.worker = None
        self._tap: InputTap | None = None
        self.launcher = Launcher(
            self.load_preset,
            lambda path, size: self.edits.still(path, size, THUMB_BEATS),
            self.edits.pending_preset,
            user_presets_dir(),
            SHIPPED_PRESETS_DIR,
        )
        self.osc = LiveOsc(self, options.osc_in, options.osc_out, options.osc_rate)
        if options.osc_in:  # the controller map's OSC addresses (a bad file: named now)
            cmap, problems = load_controller_map(options.midi_map, self.registry)
            self.notify(problems)
            self.osc.load_bindings(cmap.osc)
        self.recordings = LiveRecording(self)
        self.commands = LiveCommands(self)
        self.render_compensation_s = 0.0  # the render worker's part of the lookahead

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "LiveEngine":
        from app.engine.render_worker import RenderWorker

        o = self.options
        self._start_analysis(self._open_audio(o.audio_device, o.play))
        self.worker = RenderWorker(
            self.edits.renderer_factory(),
            o.size,
            self.analysis.latest,
            o.fps,
            on_frame=self.recordings.on_frame,
            auto_resolution=o.auto_resolution,
            params=self.store,
        )
        self.worker.on_compensation = self._compensate
        self.edits.attach(self.worker)
        self.worker.start()
        self.analysis.on_onset = self.worker.wake
        if o.midi:
            self._start_midi(o.midi)
        try:
            self.osc.start()
        except UserError:
            self.stop()
            raise
        if o.record:
            try:
                self.start_recording(Path(o.record))
            except UserError:
                self.stop()
                raise
        return self

    def _start_midi(self, patterns: list[str]) -> None:
        # tempo commands go to whichever analyzer is current (switch_input replaces it)
        self.midi.start(
            patterns,
            lambda command: self.analyzer.submit(command),
            self.commands.on_trigger,
            self.patch,
        )

    def open_midi(self, pattern: str) -> None:
        """Also listen to ports matching ``pattern`` (``*``: all), starting MIDI if it was
        off. Raises UserError when this machine has no MIDI system."""
        if not self.midi.open(pattern):
            self.midi.prepare(self.options.midi_api)
            self.options.midi = [pattern]
            self._start_midi([pattern])

    def stop(self) -> None:
        """Stop everything; a recording is finished first (its sound comes from the input,
        which must still be there) and waited for."""
        if self.recorder is not None:
            self.stop_recording()
            self.recorder.wait()
        for part in (self.osc, self.midi, self.worker, self.analysis, self.audio):
            if part is not None:
                part.stop()
        self.feeds.close()

    def _open_audio(self, device: str | None, play: str | None) -> AudioFeed:
        o = self.options
        audio = self.rig.open_audio(device, play, o.samplerate, o.channels)
        self.audio, self.where = audio, audio.where
        return audio

    def _start_analysis(self, audio: AudioFeed, clock: TempoClock | None = None) -> None:
        from app.audio.analysis_thread import AnalysisThread
        from app.audio.online import OnlineAnalyzer

        self.analyzer = OnlineAnalyzer(
            audio.samplerate,
            beats_per_bar=self.patch.beats_per_bar,
            lookahead_s=self.lookahead_s,
            clock=clock,
            tracker=self.options.beat_tracker,
        )
        # a compensation report that raced with this switch went to the old analyzer
        self.analyzer.set_lookahead(self.lookahead_s)
        self.analysis = AnalysisThread(
            audio.ring, self.analyzer, lambda block: self.input_gain * audio.mono(block)
        ).start()
        self._tap = InputTap(
            audio.ring,
            audio.samplerate,
            self.analyzer.frame_rate,
            self.analysis.history,
            audio.device_name,
        )

    @property
    def samplerate(self) -> int:
        return self.audio.samplerate

    @property
    def input_tap(self) -> InputTap:
        """The current input, for the window's scopes (a new one after a switch)."""
        return self._tap

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
        old, where = self.audio, self.where
        try:
            audio = self._open_audio(audio_device, play)
        except UserError:
            self.audio, self.where = old, where
            raise
        self.options.audio_device, self.options.play = audio_device, play
        self.analysis.stop()  # the clock's one writer stops; it goes on under the new one,
        clock = self.analyzer.clock  # whose stream time 0 is the old stream's time now
        clock.shift_time(self.stream_now()[0])
        self._start_analysis(audio, clock=clock)
        self.worker.analysis = self.analysis.latest
        self.analysis.on_onset = self.worker.wake
        old.stop()

    # -- reading ---------------------------------------------------------------------------
    def notify(self, lines: list[str], problem: bool = True) -> None:
        for line in lines:
            self._notices.put((problem, line))

    def request_window(self, action: str) -> None:
        """A window action asked for from MIDI (``output``, ``hud``, ``layout``): the
        window takes it (``take_window_requests``); headless, a notice says so."""
        self._window_requests.put(action)

    def take_window_requests(self) -> list[str]:
        actions = []
        while not self._window_requests.empty():
            actions.append(self._window_requests.get())
        return actions

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
        health = self.audio.health()
        midi_ports, midi_messages = self.midi.counts()
        osc_messages, osc_dropped = self.osc.counts()
        return LiveStatus(
            bpm=clock.bpm,
            source=clock.source,
            locked=clock.locked,
            confidence=self.analyzer.tempo.confidence,
            fps=stats.fps,
            render_ms=stats.render_ms,
            latency_ms=stats.analysis_age_ms,
            internal_size=stats.internal_size,
            drops=stats.skipped,
            input=health.state,
            reconnects=health.reconnects,
            overflows=health.overflows,
            lost=self.analysis.lost_samples,
            midi_ports=midi_ports,
            midi_messages=midi_messages,
            frozen=self.worker.frozen,
            blackout=self.worker.blackout,
            playing=not self.worker.stopped,
            level_db=self.analyzer.level_db,
            ahead_ms=1e3 * self.analyzer.lookahead_s,
            recording=str(self.recorder.path) if self.recording else None,
            record_s=self.recorder.elapsed_s if self.recording else 0.0,
            record_drops=self.recorder.writer.frames_dropped if self.recording else 0,
            nudge_beats=clock.phase_offset,
            osc_messages=osc_messages,
            osc_dropped=osc_dropped,
        )

    def errors(self) -> list[str | None]:
        """The latest error of each part (None where there is none)."""
        return [
            *self.feeds.errors(),
            self.analysis.error,
            self.worker.last_error,
            self.audio.health().error,
            self.midi.error(),
            self.osc.error(),
        ]

    # -- the patch (PatchEdits owns it and does the work) ------------------------------------
    @property
    def patch(self) -> Patch:
        """The playing patch."""
        return self.edits.patch

    @property
    def preset_path(self) -> Path:
        """The file the current preset came from (or was last saved to)."""
        return self.edits.preset_path

    def preset_on_screen(self) -> Path:
        """The preset the screen shows now (``preset_path`` is the one loaded last, which
        may still wait for its bar)."""
        return self.edits.preset_on_screen()

    @property
    def placement(self):
        """Where the generator runs (device and precision)."""
        return self.edits.placement

    @property
    def generator_key(self):
        """The latent space playing now (changes when another generator starts)."""
        return self.worker.latest_renderer.generator_key

    @property
    def keyframes(self):
        """The keyframes the current patch moves through, [n, latent_dim] (the seed's, a
        keyframes file's, or the editor's ``motion.vectors``)."""
        return self.worker.latest_renderer.motion.keyframes

    def still_renderer(self, size: tuple[int, int]):
        """A renderer of the current patch at ``size``, for pictures drawn off the render
        thread (the motion editor's thumbnails). Its generator comes from the cache, built
        once per latent space and size: a model file is not loaded again for every batch."""
        return self.edits.renderer_factory()(size)

    def keyframe_pictures(self, vectors, size: tuple[int, int]) -> list:
        """The picture of each latent vector (rows of ``vectors``) at ``size``, drawn on
        the calling thread by a still renderer of the current patch (none when the
        vectors belong to another latent space: the patch changed meanwhile)."""
        from app.engine.seed_images import latent_images

        renderer = self.still_renderer(size)
        if len(vectors) and len(vectors[0]) != renderer.generator.latent_dim:
            return []  # keyframes of a patch no longer playing: the panel asks again
        return list(latent_images(renderer, vectors))

    def seed_pictures(self, seeds: list[int], size: tuple[int, int]) -> list:
        """(seed, latent, picture) for each seed, drawn like ``keyframe_pictures``."""
        from app.engine.seed_images import seed_images

        return list(seed_images(self.still_renderer(size), seeds))

    def set_playing(self, playing: bool) -> None:
        """The transport. Stop: the output goes black and nothing renders (the analysis and
        beat clock run on), and a file played as input stops and goes back to its start.
        Play: rendering resumes, and the file plays from the start."""
        self.worker.set_playing(playing)
        self.audio.set_playing(playing)

    def load_preset(
        self, name_or_path: str | Path, fade_beats: float = 0.0, quantize: str = "bar"
    ) -> Patch:
        """Switch presets (``PatchEdits.load_preset``)."""
        return self.edits.load_preset(name_or_path, fade_beats, quantize)

    def set_generator(
        self, kind: str, look: str | None = None, path: str | None = None, device: str | None = None
    ) -> Patch:
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

    def save_map(self, name: str | None = None, path: Path | None = None) -> Path:
        """The controller map: MIDI bindings and the OSC addresses learned."""
        osc = list(self.osc.bindings.values()) if self.osc.listen else None
        return self.midi.save_map(name, path, osc)

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
