"""Regenerate docs/video-studio.png: a frame of `main.py compare-video` (original,
predicted, difference) with a model trained the way a user trains one. A 24 s clip of
nebula-drift is rendered (with the demo track), `main.py train-video` trains a small 3D
U-Net on it (4 frames in, 1 out, 64x64, 16 channels, 400 steps), and `compare-video`
sets its predictions beside the clip; the frame at 20 s (in the held-out last part) is
kept, with the sample grid of the last checkpoint.

    .venv/bin/python docs/make_video_studio_still.py

Takes a few minutes on a 2-core CPU (most of it training).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from make_dream_still import ROOT, main_py


def main() -> None:
    import imageio_ffmpeg
    from PIL import Image, ImageDraw

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = work / "nebula.mp4"
        main_py("render", "--preset", "nebula-drift", "--duration", "24", "--size", "128x128",
                "--fps", "25", "-o", str(clip), "--no-progress")  # fmt: skip
        main_py("train-video", "--data", str(clip), "--name", "nebula", "--out",
                str(work / "training"), "--frames-in", "4", "--channels", "16", "--steps",
                "400", "--timelapse-frames", "40", "--checkpoint-every", "400", "--no-progress")  # fmt: skip
        compared = work / "compare.mp4"
        main_py("compare-video", "--model", str(work / "training" / "nebula.pt"), "--video",
                str(clip), "-o", str(compared), "--height", "192", "--no-progress")  # fmt: skip
        still = work / "still.png"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-ss", "20",
                        "-i", str(compared), "-frames:v", "1", str(still)], check=True)  # fmt: skip
        frame = Image.open(still).convert("RGB")
        w, h = frame.size
        sheet = Image.new("RGB", (w, h + 28), (20, 20, 20))
        sheet.paste(frame, (0, 28))
        draw = ImageDraw.Draw(sheet)
        for i, label in enumerate(("original (20 s, held out)", "predicted from the 4 before",
                                   "difference x2")):  # fmt: skip
            draw.text((i * w // 3 + 8, 8), label, fill=(230, 230, 230))
        sheet.save(ROOT / "docs" / "video-studio.png")
    print(f"wrote {ROOT / 'docs' / 'video-studio.png'}")


if __name__ == "__main__":
    main()
