"""Regenerate docs/models.png: one frame of a real render (``main.py render --model``) by
each kind of network latentvj plays, from the random-weight fixtures in
../shared/fixtures/gan-models (random weights: these show that the networks run and move,
not what a trained network draws).

    .venv/bin/python docs/make_model_stills.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "gan-models"
sys.path.insert(0, str(ROOT / "docs"))

from make_stills import frame_of  # noqa: E402

SHOTS = (
    ("stylegan2-ada.pkl", "stylegan-layers", "StyleGAN2-ADA"),
    ("stylegan3-t.pkl", "stylegan-layers", "StyleGAN3-T"),
    ("stylegan3-r.pkl", "stylegan-layers", "StyleGAN3-R"),
    ("biggan-deep-tiny", "biggan-chroma", "BigGAN-deep"),
)


def main() -> None:
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for model, preset, label in SHOTS:
            video = Path(tmp) / f"{label}.mp4"
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "main.py"),
                    "render",
                    "--preset",
                    preset,
                    "--model",
                    str(FIXTURES / model),
                    "-o",
                    str(video),
                    "--start",
                    "24",
                    "--duration",
                    "1",
                    "--size",
                    "360x360",
                    "--no-progress",
                ],
                check=True,
                capture_output=True,
            )
            img = Image.fromarray(frame_of(video, 20))
            draw = ImageDraw.Draw(img)
            text = f"{label} (random weights)"
            draw.rectangle([0, 0, 8 + 7 * len(text), 22], fill=(0, 0, 0))
            draw.text((5, 5), text, fill=(255, 255, 255))
            tiles.append(np.asarray(img))
    Image.fromarray(np.concatenate(tiles, axis=1)).save(ROOT / "docs" / "models.png")


if __name__ == "__main__":
    main()
