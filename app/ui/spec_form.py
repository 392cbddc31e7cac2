"""A form for chosen fields of a pydantic model (the motion editor, the Train panel): a
combo box per Literal, a check box per bool, a spin box per number with the field's own
bounds. ``values``
merges the widgets into a dict of the model; ``show`` fills them from a model without
announcing it as an edit. ``changed`` fires on each edit by the user."""

from __future__ import annotations

import typing
from collections.abc import Sequence

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

BIG = 1e6
INT_MAX = 2**31 - 1


def _field(model: type[BaseModel], path: str) -> FieldInfo:
    """The FieldInfo of a dotted path (``oscillate.amplitude``) through nested models."""
    head, _, rest = path.partition(".")
    info = model.model_fields[head]
    return _field(info.annotation, rest) if rest else info


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low, high = -BIG, BIG
    for rule in info.metadata:
        low = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else low
        high = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else high
        if getattr(rule, "gt", None) is not None:
            low = rule.gt + (1 if info.annotation is int else 1e-3)
    return low, high


def _get(data: dict, path: str):
    for key in path.split("."):
        data = data[key]
    return data


def _set(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[key]
    data[last] = value


class SpecForm(QWidget):
    changed = pyqtSignal()

    def __init__(self, model: type[BaseModel], fields: Sequence[tuple[str, str]]) -> None:
        """``fields``: (dotted field path, label) in the order shown."""
        super().__init__()
        self.model = model
        self.widgets: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        for path, label in fields:
            info = _field(model, path)
            widget = self._widget_for(info)
            widget.setObjectName(path)
            widget.setToolTip(info.description or path)
            self.widgets[path] = widget
            layout.addRow(label, widget)

    def _widget_for(self, info: FieldInfo) -> QWidget:
        if info.annotation is bool:
            box = QCheckBox()
            box.toggled.connect(lambda _: self.changed.emit())
            return box
        choices = typing.get_args(info.annotation)
        if choices and all(isinstance(c, str) for c in choices):
            combo = QComboBox()
            combo.addItems(list(choices))
            combo.activated.connect(lambda _: self.changed.emit())
            return combo
        low, high = _bounds(info)
        spin = QSpinBox() if info.annotation is int else QDoubleSpinBox()
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(3)
            spin.setSingleStep(0.05 if high <= 10 else 1.0)
        if isinstance(spin, QSpinBox):  # Qt's spin box holds 32-bit integers
            spin.setRange(int(max(low, -INT_MAX)), int(min(high, INT_MAX)))
        else:
            spin.setRange(low, high)
        spin.setKeyboardTracking(False)  # typed numbers count once, when finished
        spin.valueChanged.connect(lambda _: self.changed.emit())
        return spin

    def show_model(self, model: BaseModel) -> None:
        """Fill the widgets from ``model`` (no ``changed``: this is not an edit)."""
        data = model.model_dump()
        for path, widget in self.widgets.items():
            widget.blockSignals(True)
            value = _get(data, path)
            if isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setValue(value)
            widget.blockSignals(False)

    def values(self, model: BaseModel) -> dict:
        """``model`` as a dict with this form's fields replaced by the widgets' values."""
        data = model.model_dump()
        for path, widget in self.widgets.items():
            value = (
                widget.currentText()
                if isinstance(widget, QComboBox)
                else widget.isChecked()
                if isinstance(widget, QCheckBox)
                else widget.value()
            )
            _set(data, path, value)
        return data
