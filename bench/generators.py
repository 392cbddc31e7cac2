"""Generator speed: ms per frame for ``field`` and ``dcgan`` at 256x256, 640x360, 1280x720.

    python bench/generators.py [--device cpu|cuda]

``field`` renders at half size and upscales (its default, render_scale 0.5); the full-size
row shows what that buys. ``dcgan`` is measured as the app plays a checkpoint: a 128x128
network (seed 001's size, 5 layers, gf_dim 64) fitted to the frame, and at its native
256x256 where a DCGAN layout exists. Each time is also given as a multiple of a same-run CPU
reference (1024^2 matmul), which is what to compare across machines.
"""

from __future__ import annotations

import argparse

from _common import cpu_reference_ms, machine, table, time_ms

SIZES = [(256, 256), (640, 360), (1280, 720)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import torch
    from tqdm import tqdm

    from app.engine.device import resolve_placement
    from app.engine.generators.dcgan import DCGANConfig, DCGANPlayer
    from app.engine.generators.field import FieldGenerator
    from app.engine.renderer import fit_to_frame

    placement = resolve_placement(args.device)
    sync = torch.cuda.synchronize if placement.device.type == "cuda" else (lambda: None)
    ref = cpu_reference_ms()

    def measure(gen, size, fit=True):
        z = torch.randn(1, gen.latent_dim)

        def frame():
            with torch.inference_mode():
                img = gen(z)
                if fit:
                    img = fit_to_frame(img, size, "cover")
                sync()
            return img

        return time_ms(frame)

    cases = []
    dcgan128 = DCGANPlayer.random(DCGANConfig(output_width=128, output_height=128), placement)
    dcgan256 = DCGANPlayer.random(DCGANConfig(output_width=256, output_height=256), placement)
    for size in SIZES:
        cases.append(
            (
                "field (render_scale 0.5)",
                size,
                lambda s=size: FieldGenerator(s, placement, render_scale=0.5),
            )
        )
        cases.append(
            (
                "field (full size)",
                size,
                lambda s=size: FieldGenerator(s, placement, render_scale=1.0),
            )
        )
        cases.append(("dcgan 128 fitted", size, lambda: dcgan128))
        if size == (256, 256):
            cases.append(("dcgan native 256", size, lambda: dcgan256))
    rows = []
    for name, size, make in tqdm(cases, desc="generators", unit="case"):
        ms = measure(make(), size)
        rows.append(
            [name, f"{size[0]}x{size[1]}", f"{ms:.1f}", f"{1000 / ms:.0f}", f"{ms / ref:.2f}"]
        )
    print(f"\nGenerator ms/frame on {placement.label} - {machine()}")
    print(f"CPU reference (1024^2 fp32 matmul): {ref:.2f} ms\n")
    print(table(["generator", "size", "ms/frame", "fps", "x reference"], rows))


if __name__ == "__main__":
    main()
