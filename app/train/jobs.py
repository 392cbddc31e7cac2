"""Job files (seed 000): a CSV with a header row (``name, dataset, grid_width, grid_height,
video_length`` and any model column), or the same as a YAML list of mappings (or a mapping
with a ``jobs`` list). Each row is checked on its own: a bad one is reported with its line
number and the others still run. Dataset paths are relative to the job file's folder."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.core.errors import UserError, validation_message

from .config import TrainConfig


@dataclass
class JobEntry:
    line: int
    config: TrainConfig | None
    error: str | None = None


def _entry(line: int, row: dict, base: Path) -> JobEntry:
    values = {
        k.strip(): v
        for k, v in row.items()
        if k is not None and v is not None and not (isinstance(v, str) and not v.strip())
    }
    try:
        config = TrainConfig.model_validate(values)
    except ValidationError as exc:
        return JobEntry(line, None, validation_message(exc))
    config.dataset = [str(p if Path(p).is_absolute() else base / p) for p in config.dataset]
    return JobEntry(line, config)


def _csv_rows(path: Path) -> list[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for row in reader:
            if None in row:
                rows.append((reader.line_num, {"__extra__": row[None]}))
            elif any((v or "").strip() for v in row.values()):
                rows.append((reader.line_num, row))
        return rows


def _yaml_rows(path: Path) -> list[tuple[int, dict]]:
    import yaml

    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        root = loader.get_single_node()
        if root is not None and isinstance(root, yaml.MappingNode):
            root = next((v for k, v in root.value if k.value == "jobs"), None)
        if not isinstance(root, yaml.SequenceNode):
            raise UserError(f"jobs '{path}': expected a list of jobs (or 'jobs:' with one)")
        return [
            (node.start_mark.line + 1, loader.construct_object(node, deep=True))
            for node in root.value
        ]
    except yaml.YAMLError as exc:
        raise UserError(f"jobs '{path}': not valid YAML ({str(exc).splitlines()[0]})") from None
    finally:
        loader.dispose()


def load_jobs(path: Path) -> list[JobEntry]:
    """Every job of the file, good or bad; UserError when the file itself is unusable."""
    if not path.is_file():
        raise UserError(f"jobs '{path}': not found")
    try:
        rows = _yaml_rows(path) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(path)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"jobs '{path}': unreadable ({exc})") from None
    if not rows:
        raise UserError(f"jobs '{path}': no jobs")
    entries = []
    for line, row in rows:
        if not isinstance(row, dict):
            entries.append(JobEntry(line, None, "a job must be a mapping of column: value"))
        elif "__extra__" in row:
            entries.append(JobEntry(line, None, "more cells than the header has columns"))
        else:
            entries.append(_entry(line, row, path.parent))
    return entries
