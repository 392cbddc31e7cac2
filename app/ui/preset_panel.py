"""The preset browser: shipped and user presets; load, save, save as, rename, delete.

User presets live in ``user_presets_dir()``; shipped ones are read-only (saving one saves a
copy under your presets). A failed load or save is a notice, and the current preset keeps
playing. Files are written atomically, so a crash mid-save never leaves half a preset.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserError
from app.core.paths import user_presets_dir
from app.core.presets import SHIPPED_PRESETS_DIR, load_preset, save_preset
from app.live import LiveEngine

from .widgets import Background, button_row

PATH_ROLE = Qt.ItemDataRole.UserRole


def safe_file_name(name: str) -> str:
    """A preset name as a file name: letters, digits, '-' and '_' kept, the rest '-'."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip())
    return cleaned.strip("-") or "preset"


class PresetPanel(QWidget):
    def __init__(
        self, engine: LiveEngine, notify: Callable[[str], None], on_loaded: Callable[[], None]
    ) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self.on_loaded = on_loaded
        self._background = Background(self._after_load)
        self.list = QListWidget()
        self.list.setObjectName("presets")
        self.list.itemDoubleClicked.connect(lambda item: self.load(item))
        self.name = QLineEdit()
        self.name.setObjectName("preset-name")
        self.name.setPlaceholderText("name for Save as / Rename")
        self.buttons: dict = {}
        buttons = button_row(
            (
                ("Load", lambda: self.load(self.list.currentItem())),
                ("Save", self.save),
                ("Save as", self.save_as),
                ("Rename", self.rename),
                ("Delete", self.delete),
            ),
            self.buttons,
        )
        self.fade = QDoubleSpinBox()
        self.fade.setObjectName("crossfade-beats")
        self.fade.setRange(0.0, 64.0)
        self.fade.setSingleStep(1.0)
        self.fade.setToolTip("crossfade into the next preset over this many beats (0: cut)")
        self.quantize = QComboBox()
        self.quantize.addItems(["bar", "beat"])
        self.quantize.setToolTip("the switch (or fade) starts on the next bar or beat")
        fade_row = QHBoxLayout()
        for widget in (
            QLabel("Crossfade"),
            self.fade,
            QLabel("beats, from the next"),
            self.quantize,
        ):
            fade_row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(fade_row)
        layout.addWidget(self.name)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        current = self.engine.preset_path
        self.list.clear()
        entries = [(p.stem, p) for p in sorted(SHIPPED_PRESETS_DIR.glob("*.json"))]
        entries += [(f"{p.stem} (mine)", p) for p in sorted(user_presets_dir().glob("*.json"))]
        for label, path in entries:
            item = QListWidgetItem(label)
            item.setData(PATH_ROLE, str(path))
            self.list.addItem(item)
            if Path(path) == Path(current):
                self.list.setCurrentItem(item)

    def step(self, offset: int) -> None:
        """Load the preset ``offset`` rows from the current one (the Page Up / Page Down
        keys), wrapping around the list."""
        count = self.list.count()
        if count:
            row = (max(self.list.currentRow(), 0) + offset) % count
            self.list.setCurrentRow(row)
            self.load(self.list.item(row))

    def _is_user(self, path: Path) -> bool:
        return path.parent == user_presets_dir()

    def load(self, item: QListWidgetItem | None) -> None:
        """Load off the GUI thread (building a generator can take a while); the window
        keeps running and the current preset keeps playing until the new one is ready."""
        if item is None:
            return
        path = item.data(PATH_ROLE)
        self.notify(f"loading {Path(path).stem}...")
        fade, quantize = self.fade.value(), self.quantize.currentText()
        self._background.run(lambda: self.engine.load_preset(path, fade, quantize), "preset-load")

    def _after_load(self, _patch, error: str) -> None:
        if error:  # the current preset keeps playing
            self.notify(error)
            return
        self.notify(f"playing {self.engine.patch.name}")
        self.refresh()
        self.on_loaded()

    def save(self) -> None:
        """Over the current file when it is yours; shipped presets are saved as a copy."""
        path = Path(self.engine.preset_path)
        if not self._is_user(path):
            path = user_presets_dir() / path.name
        self._write(path, self.engine.patch.name)

    def save_as(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.notify("Save as: type a name first")
            return
        self._write(user_presets_dir() / f"{safe_file_name(name)}.json", name)

    def _write(self, path: Path, name: str) -> None:
        try:
            self.engine.save_preset(path, name)
        except UserError as exc:
            self.notify(str(exc))
            return
        self.notify(f"saved {path}")
        self.refresh()
        self.on_loaded()

    def rename(self) -> None:
        item, name = self.list.currentItem(), self.name.text().strip()
        if item is None or not name:
            self.notify("Rename: pick one of your presets and type the new name")
            return
        old = Path(item.data(PATH_ROLE))
        if not self._is_user(old):
            self.notify("shipped presets cannot be renamed; Save as makes your own copy")
            return
        new = user_presets_dir() / f"{safe_file_name(name)}.json"
        if new.exists():
            self.notify(f"{new.name} exists already")
            return
        try:
            patch, _ = load_preset(old, self.engine.registry)
            save_preset(patch.model_copy(update={"name": name}), new)  # atomic, then
            old.unlink()  # the old one goes
        except (UserError, OSError) as exc:
            self.notify(f"Rename: {exc}")
            return
        if self.engine.preset_path == old:
            self.engine.renamed(new, name)
        self.refresh()
        self.on_loaded()

    def delete(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        path = Path(item.data(PATH_ROLE))
        if not self._is_user(path):
            self.notify("shipped presets cannot be deleted")
            return
        path.unlink(missing_ok=True)
        self.notify(f"deleted {path.name} (the preset playing stays loaded)")
        self.refresh()
