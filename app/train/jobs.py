"""Job files (seed 000): a CSV with a header row (``name, dataset, grid_width, grid_height,
video_length`` and any model column), or the same as a YAML list of mappings (or a mapping
with a ``jobs`` list). Each row is checked on its own: a bad one is reported with its line
number and the others still run. Dataset paths are relative to the job file's folder."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from app.core.errors import UserError, validation_message

from .config import TrainConfig


@dataclass
class JobEntry:
    line: int
    config: Any  # the model load_jobs was given (None when the row is bad)
    error: str | None = None


def _rebased(dataset: str, base: Path) -> str:
    return str(dataset if Path(dataset).is_absolute() else base / dataset)


def _entry(line: int, row: dict, base: Path, model: type[BaseModel]) -> JobEntry:
    values = {
        k.strip(): v
        for k, v in row.items()
        if k is not None and v is not None and not (isinstance(v, str) and not v.strip())
    }
    try:
        config = model.model_validate(values)
    except ValidationError as exc:
        return JobEntry(line, None, validation_message(exc))
    if isinstance(config.dataset, str):
        config.dataset = _rebased(config.dataset, base)
    else:
        config.dataset = [_rebased(p, base) for p in config.dataset]
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


def load_jobs(path: Path, model: type[BaseModel] = TrainConfig) -> list[JobEntry]:
    """Every job of the file (rows of ``model``: ``train``'s TrainConfig or
    ``train-video``'s VideoJob), good or bad; UserError when the file itself is unusable."""
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
            entries.append(_entry(line, row, path.parent, model))
    return entries


def run_jobs(path: Path, model: type[BaseModel], run: Callable[[Any], None]) -> int:
    """``run`` each good job of the file in turn; a bad row, or a job refused with a
    UserError, is reported with its line and the next one still runs. The exit status:
    2 when any job failed."""
    import sys

    failed = 0
    for entry in load_jobs(path, model):
        try:
            if entry.error:
                raise UserError(entry.error)
            run(entry.config)
        except UserError as exc:
            print(f"latentvj: error: jobs '{path}' line {entry.line}: {exc}", file=sys.stderr)
            failed += 1
    return 2 if failed else 0


def training_command(args, command: str, model: type[BaseModel], job_from_args,
                     train_one: Callable[[Any, Path | None], None]) -> int:  # fmt: skip
    """``train`` and ``train-video``: one job from the flags (``--data``, maybe resumed)
    or every job of ``--jobs``."""
    if args.checkpoint_every < 1:
        raise UserError(f"{command}: --checkpoint-every must be at least 1")
    if args.data:
        train_one(job_from_args(args), args.resume)
        return 0
    if args.resume:
        raise UserError(f"{command}: --resume goes with --data (one job), not --jobs")
    return run_jobs(args.jobs, model, lambda job: train_one(job, None))
