"""The performance window: a large live preview, the transport bar, the parameter panel,
and the fullscreen output window on a chosen screen.

A display timer (60 Hz) pulls the newest frame and the engine status; controls call the
engine's own command words (the same ones ``live --headless`` reads on stdin) or write the
ParamStore, so nothing here blocks the engine's threads, and the engine never calls Qt.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction, QGuiApplication, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QSplitter,
    QWidget,
)

from app.core.errors import UserError
from app.live import LiveEngine

from .beat_lights import BeatLights
from .frame_view import FrameView
from .transport_bar import build_transport
from .widgets import Background

DISPLAY_MS = 16


class OutputWindow(FrameView):
    """The clean output: borderless, fullscreen on one screen, no HUD."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(None)
        self.main = window
        self.setWindowTitle("latentvj output")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        self.setCursor(Qt.CursorShape.BlankCursor)

    def show_on(self, screen) -> None:
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.showFullScreen()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
        else:  # the performer's keys work on the output too
            self.main.keyPressEvent(event)


class MainWindow(QMainWindow):
    def __init__(self, engine: LiveEngine) -> None:
        super().__init__()
        self.engine = engine
        self.setWindowTitle(f"latentvj - {engine.patch.name}")
        self.preview = FrameView()
        self.output = OutputWindow(self)
        self.notices = QLabel()
        self.beat_lights = BeatLights()
        self.statusBar().addPermanentWidget(self.beat_lights)
        self.statusBar().addPermanentWidget(self.notices, 1)
        self._build_transport()
        self._build_panels()
        self._build_launcher()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(DISPLAY_MS)
        free = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(1280, free.width()), min(760, free.height()))

    # -- building --------------------------------------------------------------------------
    def _build_transport(self) -> None:
        build_transport(self)
        self._list_screens()
        QGuiApplication.instance().screenAdded.connect(lambda _: self._list_screens())
        QGuiApplication.instance().screenRemoved.connect(lambda _: self._list_screens())
        self._edit_state = None  # the Edit layout's docks, kept while Perform shows
        theme = QAction("Light / dark theme", self)
        theme.setShortcut(QKeySequence("Ctrl+Shift+L"))
        theme.triggered.connect(self.toggle_theme)
        self.addAction(theme)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def _build_panels(self) -> None:
        """The tabs on the right: parameters, presets, modulation, motion, audio, MIDI,
        OSC, model, train."""
        from .audio_panel import AudioPanel
        from .midi_panel import MidiPanel
        from .model_panel import ModelPanel
        from .modulation_panel import ModulationPanel
        from .motion_panel import MotionPanel
        from .osc_panel import OscPanel
        from .param_panel import ParamPanel
        from .preset_panel import PresetPanel
        from .train_panel import TrainPanel

        self.params = ParamPanel(
            self.engine.store,
            self.engine.preset_values,
            on_learn=lambda pid: self.command(f"learn {pid}"),
            on_unbind=lambda pid: self.command(f"unbind {pid}"),
            on_add_route=self._add_route,
        )
        self.presets = PresetPanel(self.engine, self.show_notice, self._preset_loaded)
        self.midi_panel = MidiPanel(self.engine, self.show_notice)
        self.osc_panel = OscPanel(self.engine, self.show_notice)
        self.audio_panel = AudioPanel(self.engine, self.show_notice)
        self.modulation = ModulationPanel(self.engine, self.show_notice)
        self.motion = MotionPanel(self.engine, self.show_notice)
        self.models = ModelPanel(self.engine, self.show_notice)
        self.train = TrainPanel(self.engine, self.show_notice)
        docks = [
            self._dock(title, widget)
            for title, widget in (
                ("Parameters", self.params),
                ("Presets", self.presets),
                ("Modulation", self.modulation),
                ("Motion", self.motion),
                ("Audio", self.audio_panel),
                ("MIDI", self.midi_panel),
                ("OSC", self.osc_panel),
                ("Model", self.models),
                ("Train", self.train),
            )
        ]
        for other in docks[1:]:
            self.tabifyDockWidget(docks[0], other)
        self.modulation_dock, self.motion_dock, self.audio_dock = docks[2:5]
        self.docks = docks
        docks[0].raise_()
        undo = self.params.undo.createUndoAction(self, "Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.params.undo.createRedoAction(self, "Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.addActions([undo, redo])
        for key, offset in (("PgDown", 1), ("PgUp", -1)):  # next / previous preset
            action = QAction(self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, o=offset: self.presets.step(o))
            self.addAction(action)

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        """A tab on the right (the layout is remembered by its object name)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}-dock")
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _build_launcher(self) -> None:
        """The Perform layout's launcher grid and output monitor (below the preview), and
        its keys: four key rows cue the cells, Ctrl+Left / Ctrl+Right turn the page (in
        the Perform layout only, where the grid shows what they play)."""
        from app.live import launcher_layout

        from .launcher_panel import LauncherPanel

        self.launcher = LauncherPanel(self.engine, self.show_notice)
        self.launcher.hide()  # the Edit layout has the panels instead
        centre = QSplitter(Qt.Orientation.Vertical)  # the preview above, the grid below
        centre.addWidget(self.preview)
        centre.addWidget(self.launcher)
        centre.setStretchFactor(0, 1)
        self.centre = centre
        self.setCentralWidget(centre)
        columns, _, key_rows = launcher_layout()
        self.perform_keys: list[QAction] = []
        for row, keys in enumerate(key_rows):
            for column, key in enumerate(keys):
                index = row * columns + column
                self._perform_key(key.upper(), lambda i=index: self.launcher.cue_cell(i))
        self._perform_key("Ctrl+Right", lambda: self.launcher.turn(1))
        self._perform_key("Ctrl+Left", lambda: self.launcher.turn(-1))

    def _perform_key(self, key: str, slot) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(key))
        action.setEnabled(False)
        action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        self.perform_keys.append(action)

    def _add_route(self, param_id: str) -> None:
        self.modulation.add_route_to(param_id)
        self.modulation_dock.raise_()

    def _preset_loaded(self) -> None:
        """A preset was loaded, saved or renamed: its edits are no longer undoable."""
        self.params.undo.clear()
        self.params.sync()

    def _list_screens(self) -> None:
        screens = QGuiApplication.screens()
        self.screens.clear()
        for i, screen in enumerate(screens):
            g = screen.geometry()
            self.screens.addItem(f"{i + 1}: {screen.name()} {g.width()}x{g.height()}")
        # the output goes to another screen than this window's when there is one
        self.screens.setCurrentIndex(1 if len(screens) > 1 else 0)

    # -- acting ----------------------------------------------------------------------------
    def command(self, words: str) -> None:
        try:
            self.engine.command(words)
        except (ValueError, UserError) as exc:
            self.show_notice(str(exc))

    def show_notice(self, text: str) -> None:
        self.notices.setText(text)  # non-modal: the show never stops for a dialog

    def _toggle_play(self, checked: bool) -> None:
        self.command("play" if checked else "stop")

    def _toggle_lock(self, checked: bool) -> None:
        self.command("lock" if checked else "unlock")

    def _choose_source(self, source: str) -> None:
        if source == "manual":
            self.command(f"bpm {self.engine.status().bpm:.2f}")
        elif source == "tap":
            self.show_notice("tap (T) twice or more to set the tempo")
        else:
            self.command(source)

    def _toggle_hud(self, checked: bool) -> None:
        self.preview.show_hud = checked
        self.preview.update()

    @property
    def performing(self) -> bool:
        return self._edit_state is not None

    def edit_layout(self):
        """The Edit layout's dock state (what is remembered, in either layout)."""
        return self._edit_state if self.performing else self.saveState()

    def set_perform(self, perform: bool) -> None:
        """Perform: the preview large, the launcher grid and output monitor below it, the
        transport and status (the panels put away); Edit: the panels back exactly as
        they were (``F2`` switches)."""
        if perform and not self.performing:
            self._edit_state = self.saveState()
            for dock in self.docks:
                dock.hide()
            self.launcher.show()
            grid = self.launcher.sizeHint().height()  # the grid whole, the preview the rest
            self.centre.setSizes([max(1, self.centre.height() - grid), grid])
        elif not perform and self.performing:
            self.launcher.hide()  # first: its size would squeeze the docks being restored
            self.restoreState(self._edit_state)
            self._edit_state = None
        self.layout_action.setChecked(self.performing)
        for action in self.perform_keys:
            action.setEnabled(self.performing)

    def toggle_theme(self) -> None:
        """Dark <-> light (remembered when the window closes)."""
        from .theme import apply_theme, current_theme

        app = QApplication.instance()
        apply_theme(app, "light" if current_theme(app) == "dark" else "dark")

    def toggle_output(self) -> None:
        if self.output.isVisible():
            self.output.hide()
        else:
            screens = QGuiApplication.screens()
            self.output.show_on(screens[min(self.screens.currentIndex(), len(screens) - 1)])
        self.output_action.setChecked(self.output.isVisible())

    # -- the display timer -----------------------------------------------------------------
    def refresh(self) -> None:
        _, frame = self.engine.frames.get()
        if frame is not None:
            self.preview.show_frame(frame)
            if self.output.isVisible():
                self.output.show_frame(frame)
            self.params.sync(frame.params or None)
        status = self.engine.status()
        if frame is not None:
            self.beat_lights.set_clock(
                frame.beats,
                frame.bar_phase,
                self.engine.patch.beats_per_bar,
                status.bpm,
                status.confidence,
                status.locked,
            )
        title = f"latentvj - {self.engine.patch.name}{' *' if self.engine.is_dirty() else ''}"
        if self.windowTitle() != title:
            self.setWindowTitle(title)
        self.bpm_label.setText(
            f"{status.bpm:6.1f} BPM"
            + (f"  {status.nudge_beats:+.3f}" if status.nudge_beats else "")
        )
        self.lock.setChecked(status.locked)
        if self.source.currentText() != status.source and not self.source.view().isVisible():
            self.source.setCurrentText(status.source)
        self.play.setChecked(status.playing)
        self.play.setText("Stop" if status.playing else "Play")
        self.freeze.setChecked(status.frozen)
        self.blackout.setChecked(status.blackout)
        self.record.setChecked(status.recording is not None)
        self.record_label.setText(self._record_text(status))
        if self.preview.show_hud:
            self.preview.hud_lines = [
                f"{status.fps:5.1f} fps  render {status.render_ms:5.1f} ms",
                f"latency {status.latency_ms:5.1f} ms  ahead {status.ahead_ms:5.1f} ms  "
                f"drops {status.drops}",
                f"res {status.internal_size[0]}x{status.internal_size[1]}  "
                f"input {status.input} {status.level_db:5.1f} dBFS",
            ]
            if status.recording:
                self.preview.hud_lines.append(
                    f"rec {status.record_s:6.1f} s  dropped {status.record_drops}"
                )
        if self.launcher.isVisible():
            self.launcher.refresh(frame, self._output_note())
        for action in self.engine.take_window_requests():  # from MIDI
            {"output": self.output_action, "hud": self.hud, "layout": self.layout_action}[
                action
            ].trigger()
        self.midi_panel.refresh()
        if self.osc_panel.isVisible():
            self.osc_panel.refresh()
        self.modulation.refresh()
        self.motion.refresh()
        if self.audio_panel.isVisible():  # scopes cost drawing time only when shown
            self.audio_panel.refresh()
        for problem, text in self.engine.take_notices():
            self.show_notice(text)
        for error in self.engine.errors():
            if error:
                self.show_notice(error)

    def _output_note(self) -> str:
        """What the output monitor says about the output window."""
        if not self.output.isVisible():
            return "output window closed (F11 opens it)"
        g = self.output.geometry()
        return f"on {self.output.screen().name()} {g.width()}x{g.height()}"

    @staticmethod
    def _record_text(status) -> str:
        """Elapsed time, file name and drops while recording; empty otherwise."""
        if not status.recording:
            return ""
        minutes, seconds = divmod(status.record_s, 60)
        drops = f", {status.record_drops} dropped" if status.record_drops else ""
        return f" REC {int(minutes):02d}:{seconds:04.1f}  {Path(status.recording).name}{drops} "

    def closeEvent(self, event) -> None:  # noqa: N802
        from .settings import remember

        remember(self)
        self.timer.stop()
        self.train.shutdown()
        Background.wait_all()
        self.output.close()
        super().closeEvent(event)
