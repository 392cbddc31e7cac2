"""What each shipped preset costs to render: ms per frame (generator, effects, upscale and
the conversion to 8-bit pixels), drawn back to back on the CPU.

    python bench/presets.py [--size 640x360] [--frames 120]

Frames follow the demo track's analysis from 8 s on at 30 fps, so routes, feedback and
flashes do their work. "x reference" divides by a 1024x1024 fp32 matmul timed in the same
run: compare that column across runs and machines, not the milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import cpu_reference_ms, machine, table

FPS = 30.0


def main() -> None:
    from app.cli_parser import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(640, 360))
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()

    import torch

    from app.audio.analysis import AnalysisTrack, compute_features
    from app.audio.demo_track import demo_clip
    from app.core.presets import load_preset, shipped_preset_names
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry, cpu = build_registry(), resolve_placement("cpu")
    frames = AnalysisTrack(compute_features(demo_clip())).frames(8.0, args.frames + 10, FPS)
    reference = cpu_reference_ms()
    rows = []
    with torch.inference_mode():
        for name in shipped_preset_names():
            patch, path = load_preset(name, registry)
            if patch.generator.kind != "field":  # network presets: bench/gan_networks.py
                continue
            renderer = FrameRenderer(patch, registry, args.size, cpu, preset_dir=path.parent)
            state = renderer.new_state()
            times = []
            for i, frame in enumerate(frames):
                t0 = time.perf_counter()
                renderer.render(frame, state, FPS)
                if i >= 10:  # the first frames warm up caches and thread pools
                    times.append(1e3 * (time.perf_counter() - t0))
            ms = statistics.median(times)
            g = patch.generator
            effects = [
                e
                for e, on in (
                    ("kaleidoscope", patch.effects.kaleidoscope),
                    ("mirror", patch.effects.mirror != "none"),
                )
                if on
            ]
            rows.append(
                [
                    name,
                    f"{g.kind}:{g.look}" if g.kind == "field" else g.kind,
                    f"{g.render_scale:g}",
                    ", ".join(effects) or "-",
                    f"{ms:.1f}",
                    f"{1e3 / ms:.0f}",
                    f"{ms / reference:.2f}",
                ]
            )
    w, h = args.size
    print(f"\nRender ms per frame at {w}x{h}, {args.frames} frames per preset - {machine()}\n")
    print(f"CPU reference (1024^2 fp32 matmul): {reference:.2f} ms\n")
    print(
        table(
            [
                "preset",
                "generator",
                "render_scale",
                "geometry effects",
                "ms/frame",
                "fps",
                "x reference",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
