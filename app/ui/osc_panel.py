"""The OSC tab: where latentvj listens and sends (changed while the show goes on; a busy
port is a notice and nothing changes), OSC learn (pick a parameter or trigger, `Learn`,
move a fader or press a button on the tablet: its address is bound), the learned
addresses, and the counts of messages applied and bad traffic dropped."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                             QListWidget, QPushButton, QVBoxLayout, QWidget)  # fmt: skip

from app.core.errors import UserError
from app.live import LiveEngine, midi_learn_targets


class OscPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._shown = None
        state = engine.osc.state()
        self.listen = QLineEdit(state.listening)
        self.listen.setObjectName("osc-listen")
        self.listen.setPlaceholderText("PORT or HOST:PORT (off when empty)")
        self.send_to = QLineEdit(" ".join(state.targets))
        self.send_to.setObjectName("osc-send")
        self.send_to.setPlaceholderText("HOST:PORT ... (beats, analysis, feedback)")
        apply = QPushButton("Apply")
        apply.clicked.connect(self.apply_endpoints)
        form = QFormLayout()
        form.addRow("Listen on", self.listen)
        form.addRow("Send to", self.send_to)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(apply)
        self.counts = QLabel()
        layout.addWidget(self.counts)
        self.target = QComboBox()
        self.target.setObjectName("osc-learn-target")
        self.target.addItems(midi_learn_targets(engine.registry))
        learn, cancel = QPushButton("Learn"), QPushButton("Cancel")
        learn.clicked.connect(lambda: self._command(f"learn-osc {self.target.currentText()}"))
        cancel.clicked.connect(lambda: self._command("cancel-osc"))
        row = QHBoxLayout()
        for widget in (self.target, learn, cancel):
            row.addWidget(widget)
        layout.addLayout(row)
        self.learn_state = QLabel()
        layout.addWidget(self.learn_state)
        self.bindings = QListWidget()
        self.bindings.setObjectName("osc-bindings")
        layout.addWidget(self.bindings, 1)
        unbind = QPushButton("Unbind")
        unbind.clicked.connect(self._unbind)
        layout.addWidget(unbind)
        self.buttons = {"Learn": learn, "Cancel": cancel, "Apply": apply, "Unbind": unbind}

    def apply_endpoints(self) -> None:
        try:
            self.engine.osc.set_endpoints(self.listen.text().strip() or None,
                                          self.send_to.text().split())  # fmt: skip
        except UserError as exc:  # the old endpoints stay
            self.notify(str(exc))

    def _command(self, words: str) -> None:
        try:
            self.engine.command(words)
        except (ValueError, UserError) as exc:
            self.notify(str(exc))

    def _unbind(self) -> None:
        item = self.bindings.currentItem()
        if item is not None:
            self._command(f"unbind-osc {item.text().split('  ->  ')[0]}")

    def refresh(self) -> None:
        """The display timer: counts, learn state and bindings (redrawn when changed)."""
        state = self.engine.osc.state()
        if state == self._shown:
            return
        self._shown = state
        where = f"listening on {state.listening}" if state.listening else "not listening"
        self.counts.setText(f"{where}; {state.messages} messages, {state.dropped} dropped")
        self.learn_state.setText(f"learning: move a control for {state.learning}"
                                 if state.learning else "")  # fmt: skip
        self.bindings.clear()
        self.bindings.addItems([f"{address}  ->  {target}" for address, target in state.bindings])
