"""Chunked rendering on a local Ray beside the plain render, in the same run: a 20 s render
of the default preset at 640x360 in one process, then in 5 s chunks on Ray with 1 and 2
workers; and the per-chunk overhead (task start and transfer, the pre-roll drawn again,
the join) from which the speed-up on N machines is projected.

    python bench/ray_render.py [--seconds 20] [--chunk 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import machine, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--chunk", type=float, default=5.0)
    args = parser.parse_args()

    import ray

    from app.audio.demo_track import demo_clip
    from app.cluster.chunks import join_segments
    from app.cluster.ray_render import render_on_ray
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.offline import PREROLL_S, RenderJob, RenderRequest
    from app.engine.param_specs import build_registry

    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)

    def request(output: Path) -> RenderRequest:
        return RenderRequest(patch=patch, registry=registry, clip=demo_clip(), output=output,
                             size=(640, 360), fps=30.0, duration_s=args.seconds,
                             placement=resolve_placement("cpu"), preset_dir=path.parent)  # fmt: skip

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        RenderJob(request(Path(tmp) / "plain.mp4")).run()
        plain_s = time.perf_counter() - t0
        rows.append(["one process", f"{plain_s:.1f}", "1.00"])
        for workers in (1, 2):
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     _node_ip_address="127.0.0.1")  # fmt: skip
            try:
                render_on_ray(request(Path(tmp) / "warm.mp4"), args.chunk)  # workers start
                t0 = time.perf_counter()
                render_on_ray(request(Path(tmp) / f"ray{workers}.mp4"), args.chunk)
                wall = time.perf_counter() - t0
            finally:
                ray.shutdown()
            rows.append([f"Ray, {workers} local worker(s), {args.chunk:g} s chunks",
                         f"{wall:.1f}", f"{plain_s / wall:.2f}"])  # fmt: skip
        chunks = int(round(args.seconds / args.chunk))
        segments = [Path(tmp) / "plain.mp4"] * chunks
        t0 = time.perf_counter()
        join_segments(segments, demo_clip(), 0.0, args.seconds, Path(tmp) / "joined.mp4")
        join_s = time.perf_counter() - t0
    one_worker_s = float(rows[1][1])
    frame_s = plain_s / (args.seconds * 30.0)
    preroll_s = PREROLL_S * 30.0 * frame_s * (chunks - 1)
    overhead_s = one_worker_s - plain_s
    per_chunk = overhead_s / chunks
    print(f"\n{args.seconds:g} s at 640x360 / 30 fps, nebula-drift - {machine()}\n")
    print(table(["render", "wall s", "x one process"], rows))
    print(f"\nper chunk: {per_chunk:.2f} s overhead on one worker (of which pre-roll "
          f"{preroll_s / chunks:.2f} s); join of {chunks} chunks {join_s:.2f} s")  # fmt: skip
    for machines in (4, 8, 16):
        projected = plain_s / machines + per_chunk + join_s
        print(f"projected on {machines} machines like this one ({machines} chunks): "
              f"{projected:.1f} s ({plain_s / projected:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
