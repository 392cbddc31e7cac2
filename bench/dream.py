"""Dream cost: ms per dreamed frame offline at 640x360 with seed 004's defaults (4 octaves,
scale 1.4, 10 iterations, jitter 32, step 1.5), and the live dream effect's frame (1
octave, 1-3 iterations) at 320x180 and 640x360 beside the same preset without it.

    python bench/dream.py

The network: the discriminator of a latentvj DCGAN as `train` makes it by default (5
layers, 64 filters, 64x64; random weights: the cost does not depend on them), dreaming
on its middle layer. Ratios are against the preset without the dream in the same run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import machine, steady_analysis, table, time_ms


def make_checkpoint(folder: Path) -> Path:
    import torch
    from PIL import Image

    from app.engine.device import resolve_placement
    from app.train.config import TrainConfig
    from app.train.dataset import load_dataset
    from app.train.trainer import Trainer

    for i in range(4):
        Image.new("RGB", (64, 64), (60 * i, 40, 200 - 40 * i)).save(folder / f"{i}.png")
    torch.manual_seed(0)
    config = TrainConfig(name="dreamer", dataset=[str(folder)])
    trainer = Trainer(config, load_dataset([folder], (64, 64)), resolve_placement("cpu"))
    trainer.save(folder / "dreamer.pt")
    return folder / "dreamer.pt"


def main() -> None:
    import numpy as np
    import torch

    from app.core.patch import DreamSpec
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.dream import DreamSettings, deepdream
    from app.engine.dream_nets import load_dream_net
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry, cpu = build_registry(), resolve_placement("cpu")
    with tempfile.TemporaryDirectory() as folder:
        net_path = make_checkpoint(Path(folder))
        net = load_dream_net(net_path)
        layer = list(net.layers)[len(net.layers) // 2]
        picture = torch.rand(1, 3, 360, 640)
        offline_ms = time_ms(
            lambda: deepdream(net, picture, [layer], DreamSettings(), np.random.default_rng(0)),
            warmup=1, min_runs=3, min_seconds=0.0,
        )  # fmt: skip

        patch, path = load_preset("nebula-drift", registry)
        analysis = steady_analysis()

        rows = []
        for size in ((320, 180), (640, 360)):
            plain_ms = None
            for label, iterations in (("without", 0), ("dream, 1 iteration", 1),
                                      ("dream, 2 iterations", 2), ("dream, 3 iterations", 3)):  # fmt: skip
                dream = DreamSpec(net=str(net_path), layers=[layer], iterations=iterations) \
                    if iterations else None  # fmt: skip
                r = FrameRenderer(patch.model_copy(update={"dream": dream}), registry, size, cpu,
                                  preset_dir=path.parent)  # fmt: skip
                state = r.new_state()
                ms = time_ms(lambda r=r, s=state: r.render(analysis(), s, 30.0))
                plain_ms = plain_ms or ms
                rows.append([f"{size[0]}x{size[1]}", label, f"{ms:.1f}", f"{ms / plain_ms:.2f}"])
    print(f"\nDream on cpu - {machine()}\n")
    print(f"offline, 640x360, seed 004's defaults on {layer}: {offline_ms:.0f} ms per frame\n")
    print(table(["size", "nebula-drift frame", "ms/frame", "x without"], rows))


if __name__ == "__main__":
    main()
