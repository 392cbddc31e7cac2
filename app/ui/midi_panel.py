"""The MIDI panel: open ports, learn (arm a target, move a control, commit or cancel), the
mapping table (editable: every edit re-reads the table as a controller map; bad rows are a
notice and are skipped, the rest keep playing), saving the map, and a live monitor."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserError
from app.live import LiveEngine, binding_model, midi_learn_targets

from .model_table import ModelTable
from .widgets import button_row

COLUMNS = (
    "device",
    "channel",
    "control",
    "number",
    "target",
    "min",
    "max",
    "curve",
    "invert",
    "soft_takeover",
    "encoding",
    "sensitivity",
    "button",
    "argument",
)


class MidiPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._cursor = 0
        self._ports: list[str] | None = None
        self._map_shown = None
        layout = QVBoxLayout(self)

        self.ports = QLabel()
        self.ports.setWordWrap(True)
        open_all = QPushButton("Open all ports")
        open_all.clicked.connect(lambda: self._open("*"))
        row = QHBoxLayout()
        row.addWidget(self.ports, 1)
        row.addWidget(open_all)
        layout.addLayout(row)

        self.target = QComboBox()
        self.target.setObjectName("learn-target")
        self.target.addItems(midi_learn_targets(engine.registry))
        self.buttons: dict = {}
        learn = button_row(
            (
                ("Learn", lambda: self._command(f"learn {self.target.currentText()}")),
                ("Commit", lambda: self._command("commit")),
                ("Cancel", lambda: self._command("cancel")),
            ),
            self.buttons,
        )
        learn.insertWidget(0, self.target, 1)
        layout.addLayout(learn)
        self.learn_state = QLabel()
        layout.addWidget(self.learn_state)

        self.table = ModelTable(binding_model(), COLUMNS)
        self.table.setObjectName("mapping")
        self.table.cellChanged.connect(self._edited)
        layout.addWidget(self.table, 2)
        self.map_name = QLineEdit()
        self.map_name.setPlaceholderText("map name")
        edit = button_row(
            (
                ("Add row", self._add_row),
                ("Delete row", self._delete_row),
                ("Save map", self._save),
            ),
            self.buttons,
        )
        edit.insertWidget(2, self.map_name, 1)
        layout.addLayout(edit)

        self.monitor = QPlainTextEdit()
        self.monitor.setObjectName("monitor")
        self.monitor.setReadOnly(True)
        self.monitor.setMaximumBlockCount(500)
        layout.addWidget(self.monitor, 1)

    # -- actions -----------------------------------------------------------------------
    def _command(self, words: str) -> None:
        try:
            self.engine.command(words)
        except (ValueError, UserError) as exc:
            self.notify(str(exc))

    def _open(self, pattern: str) -> None:
        try:
            self.engine.open_midi(pattern)
        except UserError as exc:
            self.notify(str(exc))

    def _add_row(self) -> None:
        self.table.add_row()

    def _delete_row(self) -> None:
        if self.table.delete_current_row():
            self._edited()

    def _edited(self, *_) -> None:
        """Re-read the whole table as the controller map (the playing preset's own bindings
        stay on top of it)."""
        if not self.engine.midi.active:
            return
        cmap, problems = self.engine.midi.set_bindings(self.table.entries())
        self._map_shown = cmap
        self.notify(problems[0] if problems else f"mapping: {len(cmap.bindings)} bindings")

    def _save(self) -> None:
        name = self.map_name.text().strip()
        if not self.engine.midi.active or not name:
            self.notify("Save map: open MIDI and type a name first")
            return
        try:
            path = self.engine.save_map(name)
        except UserError as exc:
            self.notify(str(exc))
            return
        self.notify(f"saved {path}")

    # -- the display timer -------------------------------------------------------------
    def refresh(self) -> None:
        midi = self.engine.midi
        state = midi.state()
        if state is None:
            if self._ports != []:
                self.ports.setText("MIDI off: open ports here or start with --midi PORT")
                self._ports = []
            return
        if state.open_ports != self._ports:
            self._ports = state.open_ports
            self.ports.setText(
                "open: "
                + (", ".join(state.open_ports) or f"none (waiting for {', '.join(state.patterns)})")
            )
        self.learn_state.setText(
            ""
            if not state.learning
            else f"learning: move a control for {state.armed}"
            if state.armed
            else f"learned {state.pending}: Commit or Cancel"
        )
        cmap = midi.controller_map
        if cmap is not self._map_shown:
            self._show_map(cmap)
        for number, port, words in midi.recent(self._cursor):
            self._cursor = number
            self.monitor.appendPlainText(f"{port}  {words}")

    def _show_map(self, cmap) -> None:
        self._map_shown = cmap
        self.table.show_models(cmap.bindings)
