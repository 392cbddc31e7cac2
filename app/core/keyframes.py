"""Keyframes: latent vectors saved and loaded as JSON (seed 001's per-image seed files)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .atomic import atomic_write_text
from .errors import UserError

KEYFRAMES_SCHEMA_VERSION = 1


class KeyframeSizeError(UserError):
    """Keyframes whose dimension is not the generator's (a model of another size)."""


def seed_vector(seed: int, latent_dim: int) -> np.ndarray:
    """The latent vector a seed stands for (the seed grid, ``generate --random``): standard
    normal, the prior every generator here samples from, so one seed number names one
    point of a latent space and can be written down and shared."""
    return np.random.Generator(np.random.PCG64(seed)).standard_normal(latent_dim)


def read_json_list_doc(path: Path, where: str, key: str) -> dict:
    """A JSON object with a non-empty list under ``key`` (keyframes, scripts); UserError
    starting with ``where`` when the file is missing, not JSON or not that shape."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{where}: not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list) or not doc[key]:
        raise UserError(f"{where}: expected an object with a non-empty '{key}' list")
    return doc


def save_keyframes(path: str | Path, vectors: np.ndarray, note: str = "") -> None:
    """Write ``vectors`` [n, latent_dim] as JSON (full float precision), atomically."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    doc = {
        "schema_version": KEYFRAMES_SCHEMA_VERSION,
        "latent_dim": int(vectors.shape[1]),
        "note": note,
        "vectors": vectors.tolist(),
    }
    atomic_write_text(path, json.dumps(doc, sort_keys=True) + "\n")


def load_keyframes(path: str | Path, latent_dim: int | None = None) -> np.ndarray:
    """Read keyframes [n, latent_dim]; UserError naming the file and the problem."""
    path = Path(path)
    where = f"keyframes '{path}'"
    rows = read_json_list_doc(path, where, "vectors")["vectors"]
    width = len(rows[0]) if isinstance(rows[0], list) else -1
    for i, row in enumerate(rows):
        if (
            not isinstance(row, list)
            or len(row) != width
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in row
            )
        ):
            raise UserError(f"{where}: vectors[{i}] must be a list of {max(width, 1)} numbers")
    vectors = np.asarray(rows, dtype=np.float64)
    if latent_dim is not None and vectors.shape[1] != latent_dim:
        raise KeyframeSizeError(
            f"{where}: vectors have {vectors.shape[1]} dimensions, the generator needs {latent_dim}"
        )
    return vectors
