"""The motion editor: the keyframes the latent motion moves through, a grid of random seeds
to pick new ones from (seed 001's random-generation mode), and the motion mode with its
parameters.

Keyframes: Capture takes the latent vector of the frame on screen; Up / Down reorder; Delete
removes; clicking a seed adds its vector. Every edit becomes the preset's ``motion.vectors``
and the picture morphs into it over a beat (the engine rebuilds the renderer off the GUI
thread; the generator is reused). Thumbnails are drawn on a background thread with a
generator of their own, so the render thread never waits for them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.patch import MotionSpec
from app.live import LiveEngine

from .frame_view import to_qicon
from .spec_form import SpecForm
from .widgets import Background, button_row

THUMB = (96, 54)
SEED_COLUMNS, SEED_ROWS = 4, 3
EDIT_DELAY_MS = 250  # spin box drags settle before the renderer is rebuilt
MOTION_FIELDS = (
    ("path", "Mode"),
    ("interpolation", "Interpolation"),
    ("sequence", "Sequence"),
    ("transition_beats", "Transition (beats)"),
    ("hold_beats", "Hold (beats)"),
    ("easing", "Easing"),
    ("power", "Easing power"),
    ("quantize", "Jumps land on"),
    ("oscillate.amplitude", "Oscillate amplitude"),
    ("oscillate.period_beats", "Oscillate period (beats)"),
    ("oscillate.ease_in_beats", "Oscillate ease-in (beats)"),
    ("walk.max_speed", "Walk max speed"),
    ("walk.max_accel", "Walk max accel"),
    ("walk.steps_per_beat", "Walk steps per beat"),
    ("walk.boundary", "Walk boundary"),
    ("walk.boundary_mode", "Walk boundary mode"),
    ("flicker.max_step", "Flicker max step"),
    ("flicker.rate_per_beat", "Flicker per beat"),
)


class MotionPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._shown: tuple[MotionSpec, tuple] | None = None  # (motion, generator) shown
        self.vectors = np.zeros((0, 0))
        self._apply_work = Background(self._after_apply)  # edits, one at a time
        self._keyframe_thumbs = Background(self._show_keyframe_thumbs)
        self._seed_thumbs = Background(self._show_seeds)
        self._seed_rng = np.random.default_rng()
        self.seeds: list[tuple[int, np.ndarray]] = []
        self.busy = 0  # edits and drawings under way (tests wait for 0)
        self._stale = {"keyframes": True, "seeds": True}  # thumbnails to draw when shown
        self._drawing = {"keyframes": False, "seeds": False}
        self._applying = self._pending = False  # one edit at a time, the newest last

        self.keyframes = QListWidget()
        self.keyframes.setObjectName("keyframes")
        self.keyframes.setViewMode(QListWidget.ViewMode.IconMode)
        self.keyframes.setIconSize(QSize(*THUMB))
        self.keyframes.setMovement(QListWidget.Movement.Static)
        self.keyframes.setFlow(QListWidget.Flow.LeftToRight)
        self.keyframes.setWrapping(True)
        self.keyframes.setMinimumHeight(THUMB[1] * 2 + 40)
        self.buttons: dict = {}
        edit_row = button_row(
            (
                ("Capture", self.capture),
                ("Up", lambda: self.move(-1)),
                ("Down", lambda: self.move(1)),
                ("Delete", self.delete),
            ),
            self.buttons,
        )
        self.buttons["Capture"].setToolTip("add the latent vector on screen as a keyframe")

        self.seed_buttons: list[QToolButton] = []
        grid = QGridLayout()
        for i in range(SEED_COLUMNS * SEED_ROWS):
            button = QToolButton()
            button.setIconSize(QSize(*THUMB))
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, i=i: self.add_seed(i))
            grid.addWidget(button, i // SEED_COLUMNS, i % SEED_COLUMNS)
            self.seed_buttons.append(button)
        seed_row = button_row((("New seeds", self.new_seeds),), self.buttons)

        self.form = SpecForm(MotionSpec, MOTION_FIELDS)
        self.form.setObjectName("motion-form")
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self.apply)
        self.form.changed.connect(self._edit_timer.start)

        boxes = []
        for title, parts in (
            ("Keyframes", (self.keyframes, edit_row)),
            ("Random seeds: click one to add it", (grid, seed_row)),
            ("Motion", (self.form,)),
        ):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            for part in parts:
                (inner.addWidget if isinstance(part, QWidget) else inner.addLayout)(part)
            boxes.append(box)
        content = QWidget()
        column = QVBoxLayout(content)
        for box in boxes:
            column.addWidget(box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        QVBoxLayout(self).addWidget(scroll)
        self.refresh()

    # -- showing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the playing motion when it changed (a preset loaded, an edit applied); draw
        thumbnails that are out of date, while the panel is shown (the display timer)."""
        self._show_motion()
        if self.isVisible():
            if self._stale["keyframes"] and not self._drawing["keyframes"]:
                vectors = self.vectors.copy()
                self._draw("keyframes", lambda: (vectors, self._pictures(vectors)))
            if self._stale["seeds"] and not self._drawing["seeds"]:
                self.new_seeds()

    def _show_motion(self) -> None:
        motion = self.engine.patch.motion
        space = self.engine.generator_key
        if self._shown is not None and motion is self._shown[0] and space == self._shown[1]:
            return
        if self._shown is None or space != self._shown[1]:  # another generator draws them
            self._stale = {"keyframes": True, "seeds": True}
        self._shown = (motion, space)
        self.form.show_model(motion)
        playing = np.array(self.engine.keyframes, dtype=np.float64)
        if not np.array_equal(playing, self.vectors):
            self.vectors = playing
            self._list_keyframes()

    def _list_keyframes(self) -> None:
        current = self.keyframes.currentRow()
        self.keyframes.clear()
        for i in range(len(self.vectors)):
            item = QListWidgetItem(str(i + 1))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.keyframes.addItem(item)
        self.keyframes.setCurrentRow(min(max(current, 0), len(self.vectors) - 1))
        self._stale["keyframes"] = True

    def _pictures(self, vectors: np.ndarray) -> list[np.ndarray]:
        return self.engine.keyframe_pictures(vectors, THUMB)

    def _draw(self, what: str, work) -> None:
        self.busy += 1
        self._stale[what], self._drawing[what] = False, True
        background = self._keyframe_thumbs if what == "keyframes" else self._seed_thumbs
        background.run(work, f"{what}-thumbnails")

    def _drawn(self, what: str, error: str) -> bool:
        self.busy -= 1
        self._drawing[what] = False
        if error:
            self.notify(error)
        return not error

    def _show_keyframe_thumbs(self, drawn: tuple | None, error: str) -> None:
        if self._drawn("keyframes", error) and np.array_equal(drawn[0], self.vectors):
            for i, image in enumerate(drawn[1]):  # (else newer keyframes are stale already)
                self.keyframes.item(i).setIcon(to_qicon(image))

    def new_seeds(self) -> None:
        """Twelve new random seeds, drawn off the GUI thread."""
        seeds = [int(s) for s in self._seed_rng.integers(0, 2**31, len(self.seed_buttons))]

        self._draw("seeds", lambda: self.engine.seed_pictures(seeds, THUMB))

    def _show_seeds(self, drawn: list | None, error: str) -> None:
        if not self._drawn("seeds", error):
            return
        self.seeds = [(seed, z) for seed, z, _ in drawn]
        for button, (seed, _, image) in zip(self.seed_buttons, drawn):
            button.setIcon(to_qicon(image))
            button.setToolTip(f"seed {seed}: add as a keyframe")

    # -- editing ---------------------------------------------------------------------------
    def _edit(self, vectors: np.ndarray, row: int) -> None:
        self.vectors = vectors
        self._list_keyframes()
        self.keyframes.setCurrentRow(row)
        self.apply()

    def capture(self) -> None:
        _, frame = self.engine.frames.get()
        if frame is None or frame.latent is None:
            self.notify("Capture: no picture on screen to capture (stopped or blacked out?)")
            return
        self._edit(np.vstack([self.vectors, frame.latent[None, :]]), len(self.vectors))

    def add_seed(self, index: int) -> None:
        if index < len(self.seeds):
            _, z = self.seeds[index]
            self._edit(np.vstack([self.vectors, z[None, :]]), len(self.vectors))

    def move(self, offset: int) -> None:
        row = self.keyframes.currentRow()
        other = row + offset
        if 0 <= row < len(self.vectors) and 0 <= other < len(self.vectors):
            order = list(range(len(self.vectors)))
            order[row], order[other] = other, row
            self._edit(self.vectors[order], other)

    def delete(self) -> None:
        row = self.keyframes.currentRow()
        if len(self.vectors) <= 1:
            self.notify("Delete: the motion needs at least one keyframe")
        elif 0 <= row < len(self.vectors):
            self._edit(np.delete(self.vectors, row, axis=0), max(0, row - 1))

    def apply(self) -> None:
        """The form and the keyframe list become the playing motion (off the GUI thread)."""
        self._edit_timer.stop()
        if self._applying:  # the newest state goes when the edit under way is done
            self._pending = True
            return
        self._applying = True
        motion = self.form.values(self.engine.patch.motion)
        motion["vectors"] = self.vectors.tolist()
        self.busy += 1
        self._apply_work.run(lambda: self.engine.set_motion(motion), "motion-edit")

    def _after_apply(self, _patch, error: str) -> None:
        self.busy -= 1
        self._applying = False
        if self._pending:
            self._pending = False
            self.apply()
        elif error:  # the playing motion stays, and the editor shows it again
            self.notify(error)
            self._shown = (None, self._shown[1])
            self.vectors = np.zeros((0, 0))
            self.refresh()
        else:
            self.refresh()
