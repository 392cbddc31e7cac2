"""Regenerate docs/dream.png: a frame before and after `main.py dream`, with a network made
the way a user makes one. A 20 s clip of crystal-kaleido is rendered, a DCGAN trains on
its frames for 600 steps (`main.py train --data clip.mp4`), and its discriminator, which
learned what those frames look like, dreams a frame of plasma-tunnel.

    .venv/bin/python docs/make_dream_still.py

Takes a few minutes on a 2-core CPU (most of it training).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main_py(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, check=True,
                   stdin=subprocess.DEVNULL)  # fmt: skip


def main() -> None:
    import imageio_ffmpeg
    from PIL import Image, ImageDraw

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        main_py("render", "--preset", "crystal-kaleido", "--duration", "20", "--size",
                "128x72", "-o", str(work / "crystal.mp4"))  # fmt: skip
        main_py("train", "--data", str(work / "crystal.mp4"), "--name", "crystal", "--out",
                str(work / "training"), "--steps", "600", "--video_length", "0.05",
                "--no-progress")  # fmt: skip
        main_py("render", "--preset", "plasma-tunnel", "--duration", "3", "--size",
                "640x360", "-o", str(work / "plasma.mp4"))  # fmt: skip
        before = work / "before.png"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-ss",
                        "2", "-i", str(work / "plasma.mp4"), "-frames:v", "1", str(before)],
                       check=True)  # fmt: skip
        main_py("dream", "--net", str(work / "training" / "crystal.pt"), "-sp", str(before),
                "-l", "conv3", "--frames", str(work / "dreamed"), "-it", "png", "--quiet")  # fmt: skip
        (after,) = (work / "dreamed").glob("*.png")
        left, right = Image.open(before).convert("RGB"), Image.open(after).convert("RGB")
        w, h = left.size
        sheet = Image.new("RGB", (2 * w + 8, h + 28), (20, 20, 20))
        sheet.paste(left, (0, 28))
        sheet.paste(right, (w + 8, 28))
        draw = ImageDraw.Draw(sheet)
        draw.text((8, 8), "plasma-tunnel", fill=(230, 230, 230))
        draw.text((w + 16, 8), "dreamed: conv3 of a DCGAN trained on crystal-kaleido",
                  fill=(230, 230, 230))  # fmt: skip
        sheet.save(ROOT / "docs" / "dream.png")
    print(f"wrote {ROOT / 'docs' / 'dream.png'}")


if __name__ == "__main__":
    main()
