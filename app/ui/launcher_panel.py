"""The launcher grid (the Perform layout's centre): the presets of a set as thumbnails in
pages of 8x4. A click, a key of the four key rows, a MIDI pad (learned per cell from the
cell's menu) or ``cue N`` cues a cell's preset, which lands on the next bar with the set's
crossfade; the cued cell is outlined, the playing one filled. Beside it, the output
monitor: what the output window shows.

Thumbnails are drawn by the engine off the GUI thread, one at a time, and cached until a
preset's file changes; the grid shows a cell's name until its picture arrives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserError
from app.live import LiveEngine, launcher_layout

from .frame_view import FrameView, to_qicon
from .learn_menu import add_learn_menu
from .widgets import Background

THUMB = (96, 54)
MASTER = "out.master"
MINE, SHIPPED, FOLDER = "My presets", "Shipped presets", "Folder..."


class LauncherPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.launcher = engine.launcher
        self.notify = notify
        columns, rows, key_rows = launcher_layout()
        self._drawing = False
        self._marks: tuple = ()
        self._shown_cells: list = []
        self._thumbs = Background(self._thumb_drawn)
        self._cue = Background(self._cued)

        self.sets = QComboBox()
        self.sets.setObjectName("launcher-set")
        self.sets.addItems([MINE, SHIPPED, FOLDER])
        self.sets.setToolTip("the folder of presets the grid plays")
        self.sets.activated.connect(lambda _: self._choose_set(self.sets.currentText()))
        self.page_label = QLabel()
        previous, following = QPushButton("\u25c0"), QPushButton("\u25b6")
        previous.setToolTip("previous page (Ctrl+Left)")
        following.setToolTip("next page (Ctrl+Right)")
        previous.clicked.connect(lambda: self.turn(-1))
        following.clicked.connect(lambda: self.turn(1))
        add_learn_menu(previous, self._command, "trigger:page_previous")
        add_learn_menu(following, self._command, "trigger:page_next")
        self.fade = QDoubleSpinBox()
        self.fade.setObjectName("launcher-fade")
        self.fade.setRange(0.0, 64.0)
        self.fade.setSingleStep(1.0)
        self.fade.setValue(self.launcher.fade_beats)
        self.fade.setToolTip(
            "a cued preset lands on the next bar and crossfades over this many beats (0: cut)"
        )
        self.fade.valueChanged.connect(lambda beats: setattr(self.launcher, "fade_beats", beats))
        header = QHBoxLayout()
        for widget in (
            QLabel("Set"),
            self.sets,
            previous,
            self.page_label,
            following,
            QLabel("Crossfade"),
            self.fade,
            QLabel("beats"),
        ):
            header.addWidget(widget)
        header.addStretch(1)

        grid = QGridLayout()
        grid.setSpacing(4)
        self.cells: list[QToolButton] = []
        for index in range(columns * rows):
            cell = QToolButton()
            cell.setObjectName(f"cell-{index + 1}")
            cell.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            cell.setIconSize(QSize(*THUMB))
            cell.setMinimumSize(48, THUMB[1] + 24)  # narrower with the window, never cut
            cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            cell.clicked.connect(lambda _=False, i=index: self.cue_cell(i))
            add_learn_menu(
                cell, self._command, "trigger:cue", str(index + 1), f"cue cell {index + 1}"
            )
            key = key_rows[index // columns][index % columns].upper()
            cell.setProperty("key", key)
            grid.addWidget(cell, index // columns, index % columns)
            self.cells.append(cell)

        self.monitor = FrameView()
        self.monitor.setObjectName("output-monitor")
        self.monitor.setMinimumSize(160, 90)
        self.monitor_label = QLabel()
        self.master = QSlider(Qt.Orientation.Vertical)
        self.master.setObjectName("master-fader")
        self.master.setRange(0, 1000)
        self.master.setToolTip("master: the output's brightness (right-click: MIDI learn)")
        self.master.valueChanged.connect(
            lambda value: engine.store.set(MASTER, value / 1000.0, source="ui")
        )
        add_learn_menu(self.master, self._command, MASTER, what="the master fader")
        monitor = QVBoxLayout()
        monitor.addWidget(QLabel("Output"))
        monitor.addWidget(self.monitor, 1)
        monitor.addWidget(self.monitor_label)
        master = QVBoxLayout()
        master.addWidget(QLabel("Master"))
        master.addWidget(self.master, 1)
        body = QHBoxLayout()
        body.addLayout(grid, 4)
        body.addLayout(monitor, 1)
        body.addLayout(master)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        self._choose_set(self.launcher.default_set())

    # -- the set and its pages ---------------------------------------------------------------
    def _choose_set(self, which: str) -> None:
        if which == FOLDER:
            folder = QFileDialog.getExistingDirectory(self, "A folder of presets")
            if not folder:
                self.sets.setCurrentText(self.launcher.set_label())
                return
        else:
            folder = which
        self.open_set(folder)

    def open_set(self, folder: str | Path) -> None:
        """Play the presets of ``folder`` (or MINE / SHIPPED); a bad folder is a notice."""
        try:
            self.launcher.open(folder)
        except UserError as exc:
            self.notify(str(exc))
            return
        label = self.launcher.set_label()
        if self.sets.findText(label) < 0:
            self.sets.insertItem(self.sets.count() - 1, label)
        self.sets.setCurrentText(label)
        self._show_page()

    def turn(self, step: int) -> None:
        self.launcher.turn(step)
        self._show_page()

    def _show_page(self) -> None:
        cells = self.launcher.cells()
        self._shown_cells = cells
        preset_set = self.launcher.set
        self.page_label.setText(f"page {preset_set.page + 1} / {preset_set.pages}")
        for index, button in enumerate(self.cells):
            cell = cells[index] if index < len(cells) else None
            button.setEnabled(cell is not None)
            key = button.property("key")
            button.setText(f"{key}  {cell.name}" if cell else key)
            button.setToolTip(
                f"{cell.path}\nclick or {key}: cue; right-click: MIDI learn" if cell else ""
            )
            picture = self.launcher.thumbnails.cached(cell, THUMB) if cell else None
            button.setIcon(to_qicon(picture) if picture is not None else QIcon())
        self._marks = ()
        self._draw_next()

    def _draw_next(self) -> None:
        """Draw the first cell of the page still without its picture (off this thread);
        the next one follows when it arrives."""
        if self._drawing:
            return
        for cell in self._shown_cells:
            if self.launcher.thumbnails.cached(cell, THUMB) is None:
                self._drawing = True
                self._thumbs.run(
                    lambda c=cell: (c, self.launcher.thumbnails.picture(c, THUMB)),
                    "launcher-thumbnail",
                )
                return

    def _thumb_drawn(self, drawn, error: str) -> None:
        self._drawing = False
        if error:  # a broken preset: its cell says so, the others are drawn
            self.notify(error)
            self._shown_cells = [
                c
                for c in self._shown_cells
                if self.launcher.thumbnails.cached(c, THUMB) is not None
            ]
            return
        cell, picture = drawn
        if cell in self._shown_cells:
            self.cells[cell.index].setIcon(to_qicon(picture))
        self._draw_next()

    @property
    def drawing(self) -> bool:
        """Whether thumbnails are still being drawn for the page shown."""
        return self._drawing

    # -- cueing ------------------------------------------------------------------------------
    def cue_cell(self, index: int) -> None:
        """Cue the cell's preset (built off this thread; it lands on the next bar)."""
        cell = self.launcher.cell(index)
        if cell is None:
            return
        self.launcher.mark_cued(cell.path)
        self._cue.run(lambda: self.launcher.cue(cell.path), "launcher-cue")

    def _cued(self, _patch, error: str) -> None:
        if error:
            self.notify(error)

    def _command(self, words: str) -> None:
        try:
            self.engine.command(words)
        except (ValueError, UserError) as exc:
            self.notify(str(exc))

    # -- the display timer -------------------------------------------------------------------
    def refresh(self, output_frame, output_note: str) -> None:
        """Mark the cued and playing cells, follow the set's folder, show the output."""
        if self.launcher.rescan():
            self._show_page()
        playing, cued = self.engine.preset_on_screen(), self.launcher.cued()
        marks = (playing, cued, self.launcher.set.page)
        if marks != self._marks:
            self._marks = marks
            for index, button in enumerate(self.cells):
                cell = self._cell_at(index)
                state = (
                    ""
                    if cell is None
                    else "cued"
                    if cell.path == cued
                    else "playing"
                    if cell.path == playing
                    else ""
                )
                button.setProperty("state", state)
                button.setStyleSheet(CELL_STYLES[state])
        if output_frame is not None:
            self.monitor.show_frame(output_frame)
        self.monitor_label.setText(output_note)
        master = round(1000 * self.engine.store.get(MASTER))  # MIDI moves it too
        if master != self.master.value() and not self.master.isSliderDown():
            self.master.blockSignals(True)
            self.master.setValue(master)
            self.master.blockSignals(False)

    def _cell_at(self, index: int):
        cells = self._shown_cells
        return cells[index] if index < len(cells) else None

    def cell_state(self, index: int) -> str:
        """``cued``, ``playing`` or "" (what the cell's outline shows)."""
        return self.cells[index].property("state") or ""


CELL_STYLES = {
    "": "",
    "cued": "QToolButton { border: 3px dashed #ffb000; }",
    "playing": "QToolButton { border: 3px solid #30d050; background: rgba(48, 208, 80, 60); }",
}
