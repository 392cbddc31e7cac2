"""ms/frame of the networks people bring (random weights at published sizes) beside the
built-in ``field`` look, in the same run.

    python bench/gan_networks.py [--device cpu|cuda] [--quick]

StyleGAN2 config F (z = w = 512, channels min(32768 / res, 512)); StyleGAN3-T (cbase 16384
at 256, 32768 at 512, as NVIDIA's published configs); BigGAN-deep channel width 128 (128
and 256 px). One frame = mapping + synthesis of one latent, as the renderer asks.
``x field`` divides by the field look at 640x360 in the same run (what to compare across
machines). CUDA rows are printed when a GPU is present (fp32 and fp16).
"""

from __future__ import annotations

import argparse

from _common import machine, table, time_ms
from _gan_builders import biggan_deep, stylegan2, stylegan3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true", help="256 px networks only")
    args = parser.parse_args()

    import torch
    from tqdm import tqdm

    from app.engine.device import Placement, resolve_placement
    from app.engine.generators import BigGANGenerator, FieldGenerator, StyleGANGenerator

    torch.manual_seed(0)
    placements = [resolve_placement("cpu")]
    target = resolve_placement(args.device)
    if target.device.type != "cpu":
        placements += [Placement(target.device, torch.float32), target]

    networks = [
        ("StyleGAN2 config F", 256, lambda p: StyleGANGenerator(stylegan2(256), p)),
        ("StyleGAN3-T", 256, lambda p: StyleGANGenerator(stylegan3(256, 16384), p)),
        ("BigGAN-deep", 128, lambda p: BigGANGenerator(*biggan_deep(128), p)),
    ]
    if not args.quick:
        networks += [
            ("StyleGAN2 config F", 512, lambda p: StyleGANGenerator(stylegan2(512), p)),
            ("StyleGAN3-T", 512, lambda p: StyleGANGenerator(stylegan3(512, 32768), p)),
            ("BigGAN-deep", 256, lambda p: BigGANGenerator(*biggan_deep(256), p)),
        ]
    rows = []
    for placement in placements:
        sync = torch.cuda.synchronize if placement.device.type == "cuda" else (lambda: None)

        def timed(gen) -> float:
            z = torch.randn(1, gen.latent_dim)

            def frame():
                with torch.inference_mode():
                    gen(z)
                    sync()

            return time_ms(frame, warmup=2, min_runs=5, min_seconds=2.0)

        field_ms = timed(FieldGenerator((640, 360), placement))
        rows.append(
            [
                "field (640x360, render_scale 0.5)",
                "-",
                placement.label,
                f"{field_ms:.1f}",
                f"{1000 / field_ms:.1f}",
                "1.00",
            ]
        )
        for name, size, make in tqdm(networks, desc=f"networks on {placement.label}", unit="net"):
            gen = make(placement)
            ms = timed(gen)
            rows.append(
                [
                    name,
                    f"{size}x{size}",
                    gen.placement.label,
                    f"{ms:.1f}",
                    f"{1000 / ms:.1f}",
                    f"{ms / field_ms:.1f}",
                ]
            )
            del gen
    print(f"\nNetwork ms/frame - {machine()}\n")
    print(table(["network", "native size", "device", "ms/frame", "fps", "x field"], rows))


if __name__ == "__main__":
    main()
