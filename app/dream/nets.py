"""The networks to dream with, loaded as every model file is (weights only, nothing in the
file is run): the discriminator of a latentvj DCGAN checkpoint, whose convolutions judged
the user's own dataset. Its layers are ``conv1`` .. ``convN``, the activations after each
stride-2 convolution (the linear head needs one picture size; the convolutions take any)."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from app.core.errors import UserError, describe
from app.engine.dream import DreamNet


def load_dream_net(path: str | Path) -> DreamNet:
    """The network in ``path``; UserError naming the file when it holds none we can dream
    with."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"--net '{path}': not found")
    return dcgan_discriminator(path)


def dcgan_discriminator(path: Path) -> DreamNet:
    from app.engine.generators.dcgan import load_checkpoint_model
    from app.train.config import TrainConfig
    from app.train.discriminator import Discriminator

    where = f"--net '{path}'"
    _, payload = load_checkpoint_model(path)
    training = payload.get("training")
    if not isinstance(training, dict) or "discriminator" not in training:
        raise UserError(f"{where}: has no discriminator (a generator-only checkpoint: "
                        "dream with one saved during training)")  # fmt: skip
    try:
        discriminator = Discriminator(TrainConfig.model_validate(training["job"]))
        discriminator.load_state_dict(training["discriminator"])
    except (KeyError, ValueError, RuntimeError) as exc:
        raise UserError(
            f"{where}: its discriminator does not fit its job ({describe(exc)})"
        ) from None
    body = discriminator.body
    activations = [m for m in body if not isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    layers = {f"conv{i + 1}": module for i, module in enumerate(activations)}
    return DreamNet(body, layers, lambda x: x * 2.0 - 1.0, lambda x: (x + 1.0) * 0.5,
                    -1.0, 1.0, f"the discriminator of '{path.name}'")  # fmt: skip
