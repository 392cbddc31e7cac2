"""Training speed: DCGAN steps per second at 64x64 (seed 000's default network: 5 layers,
gf_dim / df_dim 64, k 5, batch norm), batch 9 (3x3 grid) and 16 (4x4), on synthetic data.

    python bench/train.py [--device cpu|cuda] [--steps 30]

A step is one discriminator update and two generator updates (seed 000). Each step time is
also given as a multiple of the same batch's generator inference in the same run (what the
synth pays per frame batch), and of a same-run CPU reference (1024^2 matmul).
"""

from __future__ import annotations

import argparse

from _common import cpu_reference_ms, machine, table, time_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()

    import torch
    from tqdm import tqdm

    from app.engine.device import resolve_placement
    from app.train.config import TrainConfig
    from app.train.dataset import Dataset
    from app.train.trainer import Trainer

    placement = resolve_placement(args.device)
    sync = torch.cuda.synchronize if placement.device.type == "cuda" else (lambda: None)
    ref = cpu_reference_ms()
    data = Dataset(torch.randint(0, 256, (512, 3, 64, 64), dtype=torch.uint8))
    rows = []
    for grid in tqdm([(3, 3), (4, 4)], desc="train", unit="case"):
        config = TrainConfig(name="bench", dataset=["-"], grid_width=grid[0], grid_height=grid[1])
        trainer = Trainer(config, data, placement)

        def step():
            trainer.step()
            sync()

        def infer():
            with torch.inference_mode():
                trainer.generator(trainer.fixed_z.to(placement.device))
            sync()

        step_ms = time_ms(step, warmup=3, min_runs=args.steps)
        infer_ms = time_ms(infer)
        batch = config.batch_size
        rows.append(
            [
                f"{grid[0]}x{grid[1]} ({batch})",
                f"{step_ms:.1f}",
                f"{1000 / step_ms:.2f}",
                f"{1000 * batch / step_ms:.0f}",
                f"{step_ms / infer_ms:.1f}",
                f"{step_ms / ref:.1f}",
            ]
        )
    print(f"\nDCGAN training at 64x64 on {placement.label} - {machine()}")
    print(f"CPU reference (1024^2 fp32 matmul): {ref:.2f} ms\n")
    print(
        table(
            ["grid (batch)", "ms/step", "steps/s", "images/s", "x inference", "x reference"], rows
        )
    )


if __name__ == "__main__":
    main()
