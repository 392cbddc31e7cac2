"""The parameter panel, generated from the parameter registry: one slider per parameter,
grouped by section, each with a ghost bar showing the value the last frame was drawn with
(modulation applied). Double-click resets to the preset's value; right-click offers MIDI
learn, unbinding, and a new modulation route aimed at the parameter.

Sliders write the ParamStore (thread-safe; the render thread reads it next frame) through
an undo stack (one step per slider gesture), and follow the store when something else
(MIDI, a preset) moves a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QUndoCommand, QUndoStack
from PyQt6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QMenu,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.core.params import ParamSpec, ParamStore

STEPS = 1000  # slider resolution


class ParamEdit(QUndoCommand):
    """One parameter edit; consecutive edits of the same parameter merge into one step
    (a slider drag is one undo step, not a hundred)."""

    def __init__(self, store: ParamStore, param_id: str, old: float, new: float) -> None:
        super().__init__(f"change {param_id}")
        self.store, self.param_id, self.old, self.new = store, param_id, old, new

    def absorb(self, other: "ParamEdit") -> bool:
        """Take ``other``'s end value when it edits the same parameter."""
        if other.param_id != self.param_id:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.store.set(self.param_id, self.new, source="ui")

    def undo(self) -> None:
        self.store.set(self.param_id, self.old, source="ui")


class ParamSlider(QSlider):
    """A horizontal slider over a parameter's range with a ghost bar for its live value."""

    reset_requested = pyqtSignal()

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.spec = spec
        self.setRange(0, STEPS)
        self.ghost: float | None = None  # 0..1 along the range

    def to_value(self, position: int) -> float:
        return self.spec.min + (self.spec.max - self.spec.min) * position / STEPS

    def to_position(self, value: float) -> int:
        span = self.spec.max - self.spec.min
        return round(STEPS * (value - self.spec.min) / span) if span else 0

    def set_ghost(self, value: float | None) -> None:
        span = self.spec.max - self.spec.min
        ghost = None if value is None or not span else (value - self.spec.min) / span
        if ghost != self.ghost:
            self.ghost = ghost
            self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.reset_requested.emit()

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if self.ghost is None:
            return
        painter = QPainter(self)
        x = max(0.0, min(1.0, self.ghost)) * (self.width() - 4)
        painter.fillRect(QRectF(2, self.height() - 4, x, 3), QColor(255, 170, 0))
        painter.end()


class ParamPanel(QScrollArea):
    """All learnable parameters of ``store``'s registry."""

    def __init__(
        self,
        store: ParamStore,
        preset_values: Callable[[], Mapping[str, float]],
        on_learn: Callable[[str], None] | None = None,
        on_unbind: Callable[[str], None] | None = None,
        on_add_route: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.preset_values = preset_values
        self.on_learn, self.on_unbind = on_learn, on_unbind
        self.on_add_route = on_add_route
        self.undo = QUndoStack(self)
        self._gesture_open = False
        self.sliders: dict[str, ParamSlider] = {}
        self.labels: dict[str, QLabel] = {}
        body = QWidget()
        column = QVBoxLayout(body)
        groups: dict[str, QFormLayout] = {}
        for spec in store.registry:
            if not spec.learnable:
                continue
            section = spec.section or "Other"
            if section not in groups:
                box = QGroupBox(section)
                groups[section] = QFormLayout(box)
                column.addWidget(box)
            slider = ParamSlider(spec)
            slider.setObjectName(spec.id)
            slider.setToolTip(f"{spec.id} ({spec.min:g} to {spec.max:g} {spec.unit})".strip())
            slider.valueChanged.connect(lambda pos, s=slider: self._moved(s, pos))
            slider.sliderPressed.connect(self._new_gesture)
            slider.reset_requested.connect(lambda s=slider: self.reset(s.spec.id))
            slider.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            slider.customContextMenuRequested.connect(lambda point, s=slider: self._menu(s, point))
            label = QLabel()
            label.setMinimumWidth(52)
            row = QWidget()
            row_layout = QVBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.addWidget(slider)
            groups[section].addRow(spec.label, row)
            groups[section].addRow("", label)
            self.sliders[spec.id] = slider
            self.labels[spec.id] = label
        column.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.sync()

    def _new_gesture(self) -> None:
        """A new press starts a new undo step even on the same slider."""
        self._gesture_open = False

    def _moved(self, slider: ParamSlider, position: int) -> None:
        if slider.signalsBlocked():
            return
        self.edit(slider.spec.id, slider.to_value(position), merge=self._gesture_open)
        self._gesture_open = slider.isSliderDown()

    def edit(self, param_id: str, value: float, merge: bool = False) -> None:
        """Set a parameter as one undoable step (merged into the previous one during a
        drag)."""
        command = ParamEdit(
            self.store,
            param_id,
            self.store.get(param_id),
            self.store.registry[param_id].clamp(value),
        )
        if merge and self.undo.count():
            previous = self.undo.command(self.undo.index() - 1)
            if isinstance(previous, ParamEdit) and previous.absorb(command):
                self.store.set(param_id, command.new, source="ui")
                self._label(self.store.registry[param_id], command.new)
                return
        self.undo.push(command)
        self._label(self.store.registry[param_id], command.new)

    def _label(self, spec: ParamSpec, value: float) -> None:
        self.labels[spec.id].setText(f"{value:.3g} {spec.unit}".strip())

    def reset(self, param_id: str) -> None:
        """Back to the preset's value (double-click); undoable."""
        spec = self.store.registry[param_id]
        self.edit(param_id, self.preset_values().get(param_id, spec.default))
        self.sync()

    def sync(self, drawn: Mapping[str, float] | None = None) -> None:
        """Follow the store (MIDI, presets) and show ``drawn`` (the last frame's effective
        values) as ghost bars. Called by the window's display timer."""
        values = self.store.snapshot().values
        for pid, slider in self.sliders.items():
            position = slider.to_position(values[pid])
            if position != slider.value() and not slider.isSliderDown():
                slider.blockSignals(True)
                slider.setValue(position)
                slider.blockSignals(False)
                self._label(slider.spec, values[pid])
            elif not self.labels[pid].text():
                self._label(slider.spec, values[pid])
            slider.set_ghost(None if drawn is None else drawn.get(pid))

    def _menu(self, slider: ParamSlider, point) -> None:
        menu = QMenu(self)
        reset = menu.addAction("Reset to preset value")
        learn = menu.addAction("MIDI learn") if self.on_learn else None
        unbind = menu.addAction("Clear MIDI mapping") if self.on_unbind else None
        route = menu.addAction("Add modulation route") if self.on_add_route else None
        chosen = menu.exec(slider.mapToGlobal(point))
        if chosen is reset:
            self.reset(slider.spec.id)
        elif chosen is not None and chosen is learn:
            self.on_learn(slider.spec.id)
        elif chosen is not None and chosen is unbind:
            self.on_unbind(slider.spec.id)
        elif chosen is not None and chosen is route:
            self.on_add_route(slider.spec.id)
