"""Offline render speed: x real time, and wall time / max(generate-only, encode-only).

    python bench/render.py [--seconds 20] [--preset nebula-drift] [--device cpu]

Three passes over the same span of the demo track, in one run: generate only (frames kept
in memory), encode only (those frames fed to the writer with the audio), and the real
render job, where the writer thread overlaps encoding with generation. wall / max near 1.0
means the render costs what its slower half costs; wall / sum near 1.0 means no overlap.
On a CPU-only machine both halves compete for the same cores, so only spare cores (or a GPU
doing the generating) let the overlap hide all of the encoding.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine, table

SIZES = [(640, 360), (1280, 720)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--preset", default="nebula-drift")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="limit torch's threads (0: torch's default, one per core)",
    )
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    from tqdm import tqdm

    from app.audio.demo_track import demo_clip
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.offline import RenderJob, RenderRequest, write_audio_span
    from app.engine.param_specs import build_registry
    from app.engine.video_writer import VideoWriter

    registry = build_registry()
    patch, path = load_preset(args.preset, registry)
    placement = resolve_placement(args.device)
    clip = demo_clip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in SIZES:
            req = RenderRequest(
                patch=patch,
                registry=registry,
                clip=clip,
                size=size,
                fps=args.fps,
                start_s=8.0,
                duration_s=args.seconds,
                output=tmp / "full.mp4",
                placement=placement,
                preset_dir=path.parent,
            )
            job = RenderJob(req)
            frames = job.track.frames(job.start_s, job.n_frames, args.fps)
            state = job.renderer.new_state()
            # frames for the encode-only pass go into one buffer allocated and touched before
            # timing: 600 fresh 720p arrays (1.6 GB) would slow the generate pass by ~50 %
            images = np.ones((job.n_frames, size[1], size[0], 3), dtype=np.uint8)
            t0 = time.perf_counter()
            for i, f in enumerate(tqdm(frames, desc=f"generate {size[0]}x{size[1]}", leave=False)):
                images[i] = job.renderer.render(f, state, args.fps).image
            generate_s = time.perf_counter() - t0

            audio = tmp / "audio.wav"
            write_audio_span(clip, job.start_s, job.duration_s, audio)
            t0 = time.perf_counter()
            writer = VideoWriter(tmp / "encode.mp4", size, args.fps, audio, req.encoder).start()
            for image in tqdm(images, desc=f"encode {size[0]}x{size[1]}", leave=False):
                writer.write(image)
            writer.close()
            encode_s = time.perf_counter() - t0
            del images

            with tqdm(total=job.n_frames, desc=f"render {size[0]}x{size[1]}", leave=False) as bar:
                result = job.run(on_progress=lambda done, total: bar.update(done - bar.n))
            rows.append(
                [
                    f"{size[0]}x{size[1]}",
                    f"{job.n_frames}",
                    f"{generate_s:.2f}",
                    f"{encode_s:.2f}",
                    f"{result.wall_s:.2f}",
                    f"{result.speed_x_realtime:.2f}x",
                    f"{result.wall_s / max(generate_s, encode_s):.2f}",
                    f"{result.wall_s / (generate_s + encode_s):.2f}",
                ]
            )
    print(
        f"\nOffline render, preset {args.preset}, {args.seconds:g} s of the demo track at "
        f"{args.fps:g} fps, libx264 veryfast crf 18 + AAC, {placement.label} - {machine()}\n"
    )
    print(
        table(
            [
                "size",
                "frames",
                "generate-only s",
                "encode-only s",
                "render wall s",
                "speed (x real time)",
                "wall / max(gen, enc)",
                "wall / (gen + enc)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
