"""The model picker: the built-in generator's looks, or a StyleGAN2/3 pickle, a BigGAN-deep
folder, a DCGAN checkpoint or a TorchScript model from a file, on a chosen device. Loading runs off the GUI thread with a busy bar; a
file that fails to load is a notice and the current model keeps playing."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.live import LiveEngine, built_in_looks

from .widgets import Background, button_row

KINDS = {
    "StyleGAN2 / 3 pickle (.pkl)": "stylegan",
    "BigGAN-deep folder": "biggan",
    "DCGAN checkpoint": "dcgan",
    "TorchScript model": "torchscript",
}
DEVICES = ("auto", "cpu", "cuda", "mps")


class ModelPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify: Callable[[str], None]) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._background = Background(self._after_load)
        self.model = QComboBox()
        self.model.setObjectName("model")
        self.model.addItems([f"built-in: {look}" for look in built_in_looks()] + list(KINDS))
        generator = engine.patch.generator
        if generator.kind == "field":
            self.model.setCurrentText(f"built-in: {generator.look}")
        self.path = QLineEdit()
        self.path.setPlaceholderText(
            "StyleGAN .pkl, BigGAN folder, checkpoint (.pt) or TorchScript / torch.export file"
        )
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # a busy indicator: model loads report no fraction
        self.busy.setVisible(False)
        self.buttons: dict = {}
        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("File", self.path)
        form.addRow("Device", self.device)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(
            button_row((("Browse...", self._browse), ("Load", self.load)), self.buttons)
        )
        layout.addWidget(self.busy)
        layout.addStretch(1)

    def _browse(self) -> None:
        if KINDS.get(self.model.currentText()) == "biggan":
            path = QFileDialog.getExistingDirectory(
                self, "BigGAN-deep folder (config.json + pytorch_model.bin)"
            )
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Model file", "", "Models (*.pkl *.pt *.pt2 *.pth);;All files (*)"
            )
        if path:
            self.path.setText(path)

    def load(self) -> None:
        choice = self.model.currentText()
        if choice.startswith("built-in: "):
            kind, look, path = "field", choice.removeprefix("built-in: "), None
        else:
            kind, look, path = KINDS[choice], None, self.path.text().strip()
            if not path:
                self.notify(f"{choice}: choose a file first")
                return
        device = self.device.currentText()
        self.busy.setVisible(True)
        for button in self.buttons.values():
            button.setEnabled(False)
        self._background.run(
            lambda: self.engine.set_generator(kind, look, path, device), "model-load"
        )

    def _after_load(self, _patch, error: str) -> None:  # on error the old model plays on
        self.busy.setVisible(False)
        for button in self.buttons.values():
            button.setEnabled(True)
        generator = self.engine.patch.generator
        self.notify(
            error
            or f"model: {generator.kind} "
            f"{generator.look if generator.kind == 'field' else generator.path}"
            f" on {self.engine.placement.label}"
        )
