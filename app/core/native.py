"""Keeping native libraries' chatter off the terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Hide what C libraries print on fd 2 meanwhile (libsndfile's mpg123 resync notes,
    ALSA's "cannot open /dev/snd/seq"): our one-line error says what matters. Process-wide
    while it lasts, so keep it around short calls only."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
