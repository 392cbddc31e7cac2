"""Recording a live session: the output and the input's sound to a video file, with a
performance log beside it (every knob move, trigger, tempo command and patch swap, and
the clock each frame showed), so the set can be re-rendered offline (``render --replay``).

``LiveRecording`` belongs to one live engine, whose current parts (the input ring, the
analysis, the render worker, the parameter store) it reads when a recording starts: an
input switch replaces them, and switching is refused while recording."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError
from app.core.paths import user_recordings_dir
from app.core.types import RenderedFrame

from .patches import patch_note

if TYPE_CHECKING:
    from app.engine.capture import PerformanceLog
    from app.engine.recorder import AudioSource, Recorder, RecordingSettings

    from .engine import LiveEngine


class LiveRecording:
    """Start, stop and feed the engine's recording (``recorder``) and log (``capture``)."""

    def __init__(self, engine: LiveEngine) -> None:
        self.engine = engine
        self.recorder: Recorder | None = None
        self.capture: PerformanceLog | None = None

    @property
    def active(self) -> bool:
        return self.recorder is not None and self.recorder.active

    def _audio_source(self) -> AudioSource:
        from app.engine.recorder import AudioSource

        e = self.engine
        return AudioSource(
            e.audio.ring, e.analysis.origin, e.samplerate, e.audio.recorded_channels()
        )

    def settings(self, path: Path | None = None) -> RecordingSettings:
        """The recording the options ask for, to ``path`` or else a new file named after
        the time in the user's recordings folder."""
        from app.engine.recorder import RecordingSettings

        o = self.engine.options
        if path is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = user_recordings_dir() / f"latentvj-{stamp}.mkv"
        return RecordingSettings(Path(path), o.record_size, o.record_codec, o.record_quality)

    def start(self, path: Path | None = None) -> Recorder:
        """Record the output and the input's sound to ``path`` (see ``settings``), with a
        performance log beside it. Raises UserError naming the file when it cannot be
        recorded (the engine plays on either way)."""
        from app.engine.capture import PerformanceLog
        from app.engine.recorder import Recorder, performance_path

        e = self.engine
        if self.active:
            raise UserError(f"record: already recording to '{self.recorder.path}'")
        settings = self.settings(path)
        o = e.options
        settings.check(o.size)
        t0_s, _ = e.stream_now()
        note = patch_note(e.patch, e.preset_path)
        capture = PerformanceLog(
            performance_path(settings.path),
            t0_s,
            {
                "recording": settings.path.name,
                "fps": o.fps,
                "size": list(o.size),
                **note,
                "params": dict(e.store.snapshot().values),
                "samplerate": e.samplerate,
            },
        )
        recorder = Recorder(
            settings,
            o.size,
            o.fps,
            self._audio_source(),
            {"preset": e.patch.name, "patch": note["patch"], "input": e.where},
            on_finished=lambda result: self._finished(result, capture),
        )
        self.capture = capture
        e.store.add_listener(self.log_param)
        e.worker.on_event = capture.add
        try:
            self.recorder = recorder.start(t0_s)
        except UserError:
            self._end_capture(capture)
            raise
        return recorder

    def stop(self) -> None:
        """End the recording (returns at once; a notice says how it went)."""
        if self.recorder is not None:
            self.recorder.finish()

    def toggle(self, path: Path | None = None) -> None:
        if self.active:
            self.stop()
        else:
            self.start(path)
            self.engine.notify([f"recording to '{self.recorder.path}'"], problem=False)

    def on_frame(self, frame: RenderedFrame) -> None:
        """Every rendered frame (render thread): to the recorder and the clock log."""
        recorder, capture = self.recorder, self.capture
        if recorder is not None and recorder.active and frame.error is None:
            recorder.submit(frame)
            if capture is not None:
                capture.frame(frame.shown_s, frame.beats, frame.bpm, frame.bar_phase)

    def log_param(self, param_id: str, value: float, source: str) -> None:
        capture = self.capture
        if capture is not None:
            t_s, beats = self.engine.shown_now()
            capture.add(
                {
                    "type": "param",
                    "id": param_id,
                    "value": value,
                    "source": source,
                    "beats": round(beats, 6),
                },
                t_s,
            )

    def log_tempo(self, command: str, source: str) -> None:
        capture = self.capture
        if capture is not None:
            t_s, beats = self.engine.shown_now()
            capture.add(
                {"type": "tempo", "command": command, "source": source, "beats": round(beats, 6)},
                t_s,
            )

    def _end_capture(self, capture: PerformanceLog) -> None:
        """Stop logging into ``capture`` (when it is the current one) and close it."""
        e = self.engine
        if self.capture is capture:
            with contextlib.suppress(ValueError):
                e.store.remove_listener(self.log_param)
            e.worker.on_event = None
            self.capture = None
        capture.close()
        if capture.error:
            e.notify([capture.error])

    def _finished(self, result, capture: PerformanceLog) -> None:
        """The recorder's finisher thread: close its log, tell the user how it went."""
        self._end_capture(capture)
        self.engine.notify([result.line()], problem=result.error is not None)
