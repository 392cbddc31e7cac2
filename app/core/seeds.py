"""One seed makes every random choice reproducible.

Each consumer (keyframes, oscillator phases, walk, flicker, generator weights) derives its own
stream from the patch seed and a stable name, so adding a consumer never shifts another's
random numbers.
"""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(seed: int, name: str) -> int:
    """A 63-bit seed derived from ``seed`` and the consumer ``name`` (stable across runs)."""
    digest = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for the consumer ``name`` under the patch ``seed``."""
    return np.random.Generator(np.random.PCG64(derive_seed(seed, name)))
