"""Preset files: JSON with ``schema_version``, validated, migrated, written atomically.

Every error names the file and the field path (``motion.walk.max_speed``) and what is wrong,
on one line, so a VJ fixing a hand-edited preset knows where to look.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .atomic import atomic_write_text
from .errors import UserError, validation_message
from .params import ParamRegistry
from .patch import SCHEMA_VERSION, Patch, check_against_registry

SHIPPED_PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"
# schema_version n -> function upgrading a raw dict from n to n + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def migrate(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Upgrade a raw preset dict to the current schema_version."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise UserError(f"{where}: schema_version: missing or not an integer")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{where}: schema_version {version} is newer than this latentvj "
            f"understands ({SCHEMA_VERSION}); update latentvj"
        )
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise UserError(f"{where}: schema_version {version} is not supported")
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data


def patch_from_dict(data: Any, registry: ParamRegistry, where: str) -> Patch:
    """Validate a raw preset object; UserError with ``where: field.path: problem``."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: the top level must be a JSON object")
    data = migrate(dict(data), where)
    try:
        patch = Patch.model_validate(data)
    except ValidationError as exc:
        message = validation_message(exc, show_input=True, top_level="(top level)")
        raise UserError(f"{where}: {message}") from None
    try:
        check_against_registry(patch, registry)
    except ValueError as exc:
        raise UserError(f"{where}: {exc}") from None
    return patch


def resolve_preset_path(name_or_path: str) -> Path:
    """A shipped preset by name (``neon-tunnel``) or a file path."""
    path = Path(name_or_path)
    if path.suffix != ".json" and not path.exists():
        shipped = SHIPPED_PRESETS_DIR / f"{name_or_path}.json"
        if shipped.is_file():
            return shipped
    return path


def load_preset(name_or_path: str | Path, registry: ParamRegistry) -> tuple[Patch, Path]:
    """Read, migrate and validate a preset; returns the patch and the file it came from."""
    path = resolve_preset_path(str(name_or_path))
    where = f"preset '{path}'"
    if not path.is_file():
        names = ", ".join(shipped_preset_names())
        raise UserError(f"{where}: not found (shipped presets: {names})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{where}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    return patch_from_dict(data, registry, where), path


def preset_json(patch: Patch) -> str:
    """Canonical JSON text of a patch: sorted keys, two-space indent, trailing newline."""
    return json.dumps(patch.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def save_preset(patch: Patch, path: str | Path) -> None:
    """Write a preset atomically (a crash never leaves half a preset)."""
    atomic_write_text(path, preset_json(patch))


def shipped_preset_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED_PRESETS_DIR.glob("*.json"))
