"""The modulation matrix editor: the preset's routes as an editable table (source, target,
amount, attack, release, curve, and the LFO / pulse timing). Apply re-reads the table:
good routes play from the next frame (the renderer is rebuilt off the GUI thread), bad
ones are a notice and are left out. Saving the preset keeps them."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QTableWidgetItem, QVBoxLayout, QWidget

from app.core.modulation import ModRoute
from app.live import LiveEngine

from .model_table import ModelTable
from .widgets import Background, button_row

COLUMNS = (
    "source",
    "target",
    "amount",
    "attack_ms",
    "release_ms",
    "curve",
    "period_beats",
    "phase",
    "decay_beats",
)


class ModulationPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._background = Background(self._after_apply)
        self._shown = None
        self.table = ModelTable(ModRoute, COLUMNS)
        self.table.setObjectName("routes")
        self.table.setToolTip(
            "sources: audio.onset, audio.rms, audio.beat, audio.bar, "
            "audio.beat_phase, audio.bar_phase, audio.band.low|mid|high, "
            "audio.chroma.C..B, lfo.sine|triangle|saw|square"
        )
        self.buttons: dict = {}
        buttons = button_row(
            (
                ("Add route", self.table.add_row),
                ("Delete route", self.table.delete_current_row),
                ("Apply", self.apply),
            ),
            self.buttons,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.refresh()

    def add_route_to(self, param_id: str) -> None:
        """A new row aimed at ``param_id`` (a slider's right-click), to fill in and apply."""
        self.table.add_row()
        row = self.table.rowCount() - 1
        for name, text in (("source", "audio.beat"), ("target", param_id), ("amount", "0.5")):
            self.table.setItem(row, COLUMNS.index(name), QTableWidgetItem(text))
        self.table.setCurrentCell(row, 0)

    def apply(self) -> None:
        entries = self.table.entries()
        self._background.run(lambda: self.engine.set_routes(entries), "routes")

    def _after_apply(self, problems: list | None, error: str) -> None:
        self.notify(
            error
            or (
                problems[0]
                if problems
                else f"modulation: {len(self.engine.patch.routes)} routes playing"
            )
        )
        self.refresh()

    def refresh(self) -> None:
        """Show the playing routes when they changed (a preset was loaded or applied)."""
        routes = self.engine.patch.routes
        if routes is not self._shown:
            self._shown = routes
            self.table.show_models(routes)
