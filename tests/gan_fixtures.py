"""The random-weight StyleGAN / BigGAN networks in ../shared/fixtures/gan-models (real formats,
made by the real code, with the real code's outputs), read in place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "gan-models"
STYLEGAN_PICKLES = (
    "stylegan2",
    "stylegan2-cond",
    "stylegan2-ada",
    "stylegan2-ada-cond",
    "stylegan3-t",
    "stylegan3-r",
)
BIGGAN_FOLDER = FIXTURES / "biggan-deep-tiny"

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"GAN fixtures not found at {FIXTURES}"
)


def reference(name: str) -> np.lib.npyio.NpzFile:
    path = (
        BIGGAN_FOLDER / "reference.npz" if name == "biggan" else FIXTURES / f"{name}.reference.npz"
    )
    return np.load(path)


def cases(ref) -> list[str]:
    return sorted({key.split("_")[0] for key in ref.files if key.startswith("case")})


def meta(ref, case: str) -> dict:
    return json.loads(str(ref[f"{case}_meta"]))
