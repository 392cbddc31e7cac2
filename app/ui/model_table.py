"""An editable table of pydantic models (controller bindings, modulation routes): one row
per model, one column per field, text in the cells. Reading it back converts each cell by
its field's type; a cell that does not convert stays text, so the model's own validation
names it. Empty cells mean the field's default."""

from __future__ import annotations

import typing
from collections.abc import Sequence

from pydantic import BaseModel
from PyQt6.QtWidgets import QTableWidget, QTableWidgetItem

TRUE = ("yes", "true", "1", "on")


def _kind(annotation) -> type:
    """The scalar type a field holds: bool, int, float or str (Literal and unions of one
    type with None count as that type)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if annotation in (bool, int, float):
        return annotation
    if args and all(a in (bool, int, float) for a in args):
        return args[0]
    return str


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ModelTable(QTableWidget):
    def __init__(self, model: type[BaseModel], columns: Sequence[str]) -> None:
        super().__init__(0, len(columns))
        self.columns = tuple(columns)
        self.kinds = {name: _kind(model.model_fields[name].annotation) for name in columns}
        self.setHorizontalHeaderLabels(self.columns)

    def show_models(self, models: Sequence[BaseModel]) -> None:
        """Fill the table (without signalling edits)."""
        self.blockSignals(True)
        self.setRowCount(len(models))
        for r, model in enumerate(models):
            for c, name in enumerate(self.columns):
                self.setItem(r, c, QTableWidgetItem(cell_text(getattr(model, name))))
        self.blockSignals(False)

    def entries(self) -> list[dict]:
        """Every non-empty row as a dict for the model to validate."""
        rows = []
        for r in range(self.rowCount()):
            entry: dict = {}
            for c, name in enumerate(self.columns):
                item = self.item(r, c)
                text = item.text().strip() if item else ""
                if text:
                    entry[name] = self._convert(name, text)
            if entry:
                rows.append(entry)
        return rows

    def _convert(self, name: str, text: str):
        kind = self.kinds[name]
        if kind is bool:
            return text.lower() in TRUE
        if kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                return text
        return text

    def add_row(self) -> None:
        self.insertRow(self.rowCount())

    def delete_current_row(self) -> bool:
        if self.currentRow() < 0:
            return False
        self.removeRow(self.currentRow())
        return True
