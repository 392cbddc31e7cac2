"""What the live engine holds with a network: ``live --headless`` playing the demo track with
a random-weight 256x256 StyleGAN2 (config F) at 640x360, auto-resolution on, beside the
built-in look in the same run.

    python bench/live_network.py [--seconds 40]

The network is written as an NVIDIA-format pickle to a temporary folder and played with
``--model``; the status lines of the last half of the run give fps and render time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine, table
from _gan_builders import stylegan2, write_network_pickle

ROOT = Path(__file__).resolve().parents[1]


def run_live(seconds: float, *extra: str) -> tuple[float, float, str]:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "live",
            "--headless",
            "--play",
            "--seconds",
            str(seconds),
            "--size",
            "640x360",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 300,
    ).stdout
    lines = [line for line in out.splitlines() if line.startswith("t=")]
    late = lines[len(lines) // 2 :]
    fps = [float(re.search(r"fps=\s*([\d.]+)", line).group(1)) for line in late]
    render = [float(re.search(r"render=\s*([\d.]+)ms", line).group(1)) for line in late]
    res = re.search(r"res=(\d+x\d+)", late[-1]).group(1) if late else "-"
    return statistics.median(fps), statistics.median(render), res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "stylegan2-256-random.pkl"
        write_network_pickle(stylegan2(256), model)
        for name, extra in (
            ("field (nebula-drift)", ()),
            ("StyleGAN2 config F 256x256", ("--model", str(model))),
        ):
            fps, render_ms, res = run_live(args.seconds, *extra)
            rows.append([name, "640x360", f"{fps:.1f}", f"{render_ms:.0f}", res])
    print(f"\nLive engine, demo track, 30 fps target, auto-resolution - {machine()}\n")
    print(table(["generator", "output", "fps held", "render ms", "internal res (last)"], rows))


if __name__ == "__main__":
    main()
