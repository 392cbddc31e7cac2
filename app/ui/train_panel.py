"""The Train panel: train a DCGAN on your images or a video from the app, watching the
newest timelapse sample grid and the losses, then play the checkpoint in the synth.

Training runs on its own thread (app/train/session.py) and the panel polls it on a timer,
so the window never waits; on a 2-core machine training and live rendering share the CPU
(auto-resolution lowers the live render size meanwhile). Stop ends after the current step,
keeping the checkpoint and the timelapse filmed so far.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pydantic import ValidationError
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QPixmap
from PyQt6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserError, validation_message
from app.core.paths import user_training_dir
from app.live import LiveEngine
from app.train.config import TrainConfig
from app.train.session import TrainingSession

from .frame_view import to_qimage
from .spec_form import SpecForm
from .widgets import Background, button_row

POLL_MS = 250
MODEL_FORM = (
    ("grid_width", "Grid width"),
    ("grid_height", "Grid height (batch = w x h)"),
    ("output_width", "Image width"),
    ("output_height", "Image height"),
    ("video_length", "Timelapse minutes"),
    ("fps", "Timelapse fps"),
    ("nbr_of_layers_g", "Layers G"),
    ("nbr_of_layers_d", "Layers D"),
    ("activation_g", "Activation G"),
    ("activation_d", "Activation D"),
    ("learning_rate_g", "Learning rate G"),
    ("learning_rate_d", "Learning rate D"),
    ("beta1_g", "Beta1 G"),
    ("beta1_d", "Beta1 D"),
    ("k_w", "Kernel width"),
    ("k_h", "Kernel height"),
    ("batch_norm_g", "Batch norm G"),
    ("batch_norm_d", "Batch norm D"),
    ("latent_dim", "Latent size"),
    ("gf_dim", "G filters"),
    ("df_dim", "D filters"),
    ("g_updates", "G updates per D"),
    ("frame_step", "Video frame step"),
    ("seed", "Seed"),
)


def _template() -> TrainConfig:
    return TrainConfig(name="job", dataset=["-"])


class TrainPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self.session: TrainingSession | None = None
        self._sample_seq = 0
        self._loaded = Background(self._after_play)
        self.data = QLineEdit()
        self.data.setObjectName("train-data")
        self.data.setPlaceholderText("image folder or video file (several: comma-separated)")
        self.name = QLineEdit("my-dcgan")
        self.name.setObjectName("train-name")
        self.out = QLineEdit(str(user_training_dir()))
        self.out.setObjectName("train-out")
        self.steps = QSpinBox()
        self.steps.setObjectName("train-steps")
        self.steps.setRange(0, 10_000_000)
        self.steps.setSpecialValueText("one per timelapse frame")
        self.form = SpecForm(TrainConfig, MODEL_FORM)
        self.form.show_model(_template())
        self.buttons: dict = {}
        source_row = button_row(
            (("Folder...", self._pick_folder), ("Video...", self._pick_video)), self.buttons
        )
        top = QFormLayout()
        top.addRow("Data", self.data)
        top.addRow("", source_row)
        top.addRow("Name", self.name)
        top.addRow("Output folder", self.out)
        top.addRow("Steps", self.steps)
        actions = button_row(
            (
                ("Start", self.start),
                ("Stop", self.stop),
                ("Play checkpoint", self.play),
                ("Merge time-cuts", self.merge),
            ),
            self.buttons,
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("train-progress")
        self.progress.setFormat("idle")
        self.sample = QLabel("samples appear here")
        self.sample.setObjectName("train-sample")
        self.sample.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample.setMinimumHeight(160)
        self.plot = pg.PlotWidget(background="k")
        self.plot.setMinimumHeight(140)
        self.plot.addLegend(offset=(5, 5))
        self.plot.setLabel("bottom", "step")
        self.d_curve = self.plot.plot(pen=pg.mkPen("#ff9d3b", width=1.5), name="D loss")
        self.g_curve = self.plot.plot(pen=pg.mkPen("#5ad1ff", width=1.5), name="G loss")
        watch = QHBoxLayout()
        watch.addWidget(self.sample, 1)
        watch.addWidget(self.plot, 2)

        model_box = QGroupBox("Model and timelapse (seed 000's parameters)")
        QVBoxLayout(model_box).addWidget(self.form)
        content = QWidget()
        column = QVBoxLayout(content)
        column.addLayout(top)
        column.addLayout(actions)
        column.addWidget(self.progress)
        column.addLayout(watch)
        column.addWidget(model_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        QVBoxLayout(self).addWidget(scroll)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._set_running(False)

    # -- choosing --------------------------------------------------------------------------
    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Image folder")
        if folder:
            self.data.setText(folder)

    def _pick_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Video", "", "Videos (*.mp4 *.mkv *.mov *.avi *.webm)"
        )
        if path:
            self.data.setText(path)

    def config(self) -> TrainConfig:
        """The job the panel describes (UserError naming the field when it is not valid)."""
        values = self.form.values(_template())
        values.update(
            name=self.name.text().strip(),
            dataset=self.data.text(),
            steps=self.steps.value() or None,
        )
        try:
            return TrainConfig.model_validate(values)
        except ValidationError as exc:
            raise UserError(f"Train: {validation_message(exc)}") from None

    # -- running ---------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.buttons["Start"].setEnabled(not running)
        self.buttons["Stop"].setEnabled(running)
        self.form.setEnabled(not running)

    def start(self) -> None:
        try:
            config = self.config()
        except UserError as exc:
            self.notify(str(exc))
            return
        self.session = TrainingSession(config, Path(self.out.text()), self.engine.placement).start()
        self._sample_seq = 0
        self.progress.setRange(0, 0)
        self.progress.setFormat("loading images...")
        self._set_running(True)
        self.timer.start()
        self.notify(f"training '{config.name}' (the live picture shares the CPU meanwhile)")

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.progress.setFormat("stopping after this step...")

    def poll(self) -> None:
        """The newest progress, losses and sample; the outcome when the run is over."""
        s = self.session
        if s is None:
            return
        if s.total:
            self.progress.setRange(0, s.total)
            self.progress.setValue(s.step)
            eta = s.eta_s()
            self.progress.setFormat("step %v / %m" + (f", {eta:.0f} s left" if eta else ""))
        if s.losses:
            history = np.array(s.losses[:])
            self.d_curve.setData(history[:, 0], history[:, 1])
            self.g_curve.setData(history[:, 0], history[:, 2])
        seq, grid = s.samples.get()
        if grid is not None and seq != self._sample_seq:
            self._sample_seq = seq
            pixmap = QPixmap.fromImage(to_qimage(grid))
            self.sample.setPixmap(
                pixmap.scaled(
                    self.sample.width(),
                    self.sample.height(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                )
            )
        if s.finished.is_set():
            self.timer.stop()
            self._set_running(False)
            if s.error:
                self.progress.setFormat("failed")
                self.notify(s.error)
            else:
                r = s.result
                self.progress.setFormat(f"done: step {r.steps}")
                skipped = f", {len(r.skipped)} files skipped" if r.skipped else ""
                self.notify(
                    f"trained: {r.checkpoint} and {len(r.videos)} timelapse videos{skipped}"
                )

    def shutdown(self) -> None:
        """The window closes: a run stops after its step, saving its checkpoint and videos."""
        if self.session is not None and self.session.running:
            self.session.stop()
            self.session.wait(120.0)

    # -- using the result ------------------------------------------------------------------
    def checkpoint(self) -> Path:
        return Path(self.out.text()) / f"{self.name.text().strip()}.pt"

    def play(self) -> None:
        """Play the newest checkpoint in the synth (it is written during training too)."""
        path = self.checkpoint()
        self._loaded.run(lambda: self.engine.set_generator("dcgan", path=str(path)), "train-play")

    def _after_play(self, _patch, error: str) -> None:
        self.notify(error or f"playing {self.checkpoint().name}")

    def merge(self) -> None:
        from app.train.timelapse import merge_timecuts

        try:
            merged = merge_timecuts(Path(self.out.text()))
        except UserError as exc:
            self.notify(str(exc))
            return
        self.notify("merged: " + ", ".join(p.name for p in merged))
