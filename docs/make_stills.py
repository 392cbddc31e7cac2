"""Regenerate docs/presets.png: one frame (24 s into the demo track) of each shipped preset
of the built-in look, taken from a real render by ``main.py render`` (the network presets
are in docs/models.png, by docs/make_model_stills.py).

    .venv/bin/python docs/make_stills.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.presets import SHIPPED_PRESETS_DIR, shipped_preset_names  # noqa: E402


def frame_of(video: Path, index: int) -> np.ndarray:
    reader = imageio_ffmpeg.read_frames(str(video))
    w, h = next(reader)["size"]
    for i, frame in enumerate(reader):
        if i == index:
            return np.frombuffer(frame, np.uint8).reshape(h, w, 3)
    raise IndexError(index)


def main() -> None:
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in [
            n
            for n in shipped_preset_names()
            if json.loads((SHIPPED_PRESETS_DIR / f"{n}.json").read_text())["generator"]["kind"]
            == "field"
        ][:6]:
            video = Path(tmp) / f"{name}.mp4"
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "main.py"),
                    "render",
                    "--preset",
                    name,
                    "-o",
                    str(video),
                    "--start",
                    "24",
                    "--duration",
                    "2",
                    "--no-progress",
                ],
                check=True,
                capture_output=True,
            )
            img = Image.fromarray(frame_of(video, 40))
            draw = ImageDraw.Draw(img)
            draw.rectangle([0, 0, 8 + 8 * len(name), 22], fill=(0, 0, 0))
            draw.text((5, 5), name, fill=(255, 255, 255))
            tiles.append(np.asarray(img))
    rows = [np.concatenate(tiles[i : i + 3], axis=1) for i in (0, 3)]
    Image.fromarray(np.concatenate(rows, axis=0)).resize((1440, 540)).save(
        ROOT / "docs" / "presets.png"
    )


if __name__ == "__main__":
    main()
