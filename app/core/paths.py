"""Where latentvj keeps caches: $LATENTVJ_CACHE_DIR, else $XDG_CACHE_HOME/latentvj."""

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
