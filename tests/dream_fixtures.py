"""A network to dream with, made in the test: a latentvj checkpoint saved by the trainer
before any step (a discriminator of three convolutions with random weights)."""

from __future__ import annotations

from pathlib import Path


def make_dreamer(folder: Path) -> Path:
    import torch
    from PIL import Image

    from app.engine.device import resolve_placement
    from app.train.config import TrainConfig
    from app.train.dataset import load_dataset
    from app.train.trainer import Trainer

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        Image.new("RGB", (16, 16), (60 * i, 40, 200 - 40 * i)).save(folder / f"{i}.png")
    config = TrainConfig(name="dreamer", dataset=[str(folder)], output_width=16,
                         output_height=16, nbr_of_layers_g=3, nbr_of_layers_d=4, gf_dim=8,
                         df_dim=8)  # fmt: skip
    torch.manual_seed(0)
    trainer = Trainer(config, load_dataset([folder], (16, 16)), resolve_placement("cpu"))
    trainer.save(folder / "dreamer.pt")
    return folder / "dreamer.pt"
