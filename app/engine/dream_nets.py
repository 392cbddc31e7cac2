"""The networks to dream with, loaded as every model file is (weights only, nothing in the
file is run): the discriminator of a latentvj DCGAN checkpoint, whose convolutions judged
the user's own dataset. Its layers are ``conv1`` .. ``convN``, the activations after each
stride-2 convolution (the linear head needs one picture size; the convolutions take any)."""

from __future__ import annotations

import threading
from pathlib import Path

from torch import nn

from app.core.errors import UserError, describe
from app.engine.dream import DreamNet


def load_dream_net(path: str | Path, flag: str = "--net") -> DreamNet:
    """The network in ``path``: a latentvj checkpoint or a StyleGAN network pickle (their
    discriminators), torchvision's VGG16, GoogLeNet or Inception v3 weights, or ``vgg16`` / ``googlenet`` /
    ``inception_v3`` for those in the torch hub cache. UserError naming it (as ``flag``) when it holds none we can dream with."""
    from app.engine.dream_zoo import HUB_FILES, build, hub_dir, kind_of
    from app.engine.generators.dcgan import CHECKPOINT_FORMAT, read_torch_file

    if str(path) in HUB_FILES:
        name, path = str(path), hub_dir() / HUB_FILES[str(path)]
        if not path.exists():
            raise UserError(f"{flag} {name}: no weights at '{path}' (torchvision keeps "
                            "them there once downloaded; latentvj downloads nothing)")  # fmt: skip
    path = Path(path)
    where = f"{flag} '{path}'"
    if path.suffix == ".pkl" and path.is_file():
        return stylegan_discriminator(path, where)
    payload = read_torch_file(path, where)
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        return dcgan_discriminator(path, flag)
    kind = kind_of(payload) if isinstance(payload, dict) else None
    if kind is None:
        raise UserError(f"{where}: not a network latentvj dreams with (a latentvj "
                        "checkpoint, or torchvision's vgg16 / googlenet / inception_v3 "
                        "weights)")  # fmt: skip
    return build(kind, payload, where)


def dcgan_discriminator(path: Path, flag: str = "--net") -> DreamNet:
    from pydantic import ValidationError

    from app.engine.discriminator import Discriminator, DiscriminatorLayout
    from app.engine.generators.dcgan import load_checkpoint_model

    where = f"{flag} '{path}'"
    _, payload = load_checkpoint_model(path)
    training = payload.get("training")
    if not isinstance(training, dict) or "discriminator" not in training:
        raise UserError(f"{where}: has no discriminator (a generator-only checkpoint: "
                        "dream with one saved during training)")  # fmt: skip
    try:
        discriminator = Discriminator(DiscriminatorLayout.model_validate(training["job"]))
        discriminator.load_state_dict(training["discriminator"])
    except (KeyError, ValueError, RuntimeError, ValidationError, TypeError) as exc:
        raise UserError(
            f"{where}: its discriminator does not fit its job ({describe(exc)})"
        ) from None
    body = discriminator.body
    activations = [m for m in body if not isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    layers = {f"conv{i + 1}": module for i, module in enumerate(activations)}
    return DreamNet(body, layers, lambda x: x * 2.0 - 1.0, lambda x: (x + 1.0) * 0.5,
                    -1.0, 1.0, f"the discriminator of '{path.name}'")  # fmt: skip


def stylegan_discriminator(path: Path, where: str) -> DreamNet:
    """``D`` of a StyleGAN2 / 2-ADA / 3 network pickle (read as plain data, its code never
    run): its residual blocks ``b<resolution>`` are the layers."""
    from app.engine.generators.stylegan_disc import StyleGANDiscriminator, pick_discriminator
    from app.engine.model_files import load_network_pickle

    record = pick_discriminator(load_network_pickle(path))
    if record is None:
        raise UserError(f"{where}: has no discriminator (a pickle without D: dream with a "
                        "training snapshot, network-snapshot-*.pkl)")  # fmt: skip
    try:
        module = StyleGANDiscriminator(record)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise UserError(f"{where}: its discriminator cannot be read ({describe(exc)})") from None
    layers = {name: getattr(module, name) for name in module.block_names}
    return DreamNet(module, layers, lambda x: x * 2.0 - 1.0, lambda x: (x + 1.0) * 0.5,
                    -1.0, 1.0, f"the discriminator of '{path.name}'")  # fmt: skip


_LOADED: dict[tuple[str, int], DreamNet] = {}
_LOADED_LOCK = threading.Lock()


def cached_dream_net(path: str | Path, flag: str = "dream.net") -> DreamNet:
    """``load_dream_net``, once per file version (every renderer of a patch shares it)."""
    from app.engine.dream_zoo import HUB_FILES, hub_dir

    file = (
        hub_dir() / HUB_FILES[path] if isinstance(path, str) and path in HUB_FILES else Path(path)
    )
    key = (str(path), file.stat().st_mtime_ns if file.exists() else 0)
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = load_dream_net(path, flag)
        return _LOADED[key]
