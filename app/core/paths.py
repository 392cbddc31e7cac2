"""Where latentvj keeps caches, the user's presets and recordings (environment overrides
for tests)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """The cache folder for ``kind`` (created on first use)."""
    root = os.environ.get("LATENTVJ_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        root = os.path.join(xdg, "latentvj")
    path = Path(root) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_presets_dir() -> Path:
    """Where the user's own presets live: $LATENTVJ_PRESETS_DIR, else
    $XDG_DATA_HOME/latentvj/presets (created on first use)."""
    root = os.environ.get("LATENTVJ_PRESETS_DIR")
    if not root:
        xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
        root = os.path.join(xdg, "latentvj", "presets")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_recordings_dir() -> Path:
    """Where recordings go when no file is named: $LATENTVJ_RECORDINGS_DIR, else
    ~/Videos/latentvj (created on first use)."""
    root = os.environ.get("LATENTVJ_RECORDINGS_DIR") or os.path.join(
        Path.home(), "Videos", "latentvj"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_training_dir() -> Path:
    """Where the Train panel puts checkpoints and timelapses by default:
    $LATENTVJ_TRAINING_DIR, else $XDG_DATA_HOME/latentvj/training (made when training)."""
    root = os.environ.get("LATENTVJ_TRAINING_DIR")
    if not root:
        xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
        root = os.path.join(xdg, "latentvj", "training")
    return Path(root)
