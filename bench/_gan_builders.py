"""Random-weight StyleGAN2 / StyleGAN3 / BigGAN-deep networks at published sizes, built as
the data a network pickle or weights file holds, for timing only (no file is written and
nothing of NVIDIA's code is used: the geometry follows the papers' schedules).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch

from app.engine.generators.biggan_net import BigGANConfig
from app.engine.model_files import PersistentObject


def _record(
    name: str, params: dict, buffers: dict | None = None, modules: dict | None = None, **attrs
) -> PersistentObject:
    return PersistentObject(
        name,
        {
            "_parameters": OrderedDict(params),
            "_buffers": OrderedDict(buffers or {}),
            "_modules": OrderedDict(modules or {}),
            **attrs,
        },
    )


def _fc(
    fan_in: int, fan_out: int, lr: float = 1.0, bias_init: float = 0.0, activation: str = "linear"
) -> PersistentObject:
    return _record(
        "FullyConnectedLayer",
        {"weight": torch.randn(fan_out, fan_in) / lr, "bias": torch.full([fan_out], bias_init)},
        activation=activation,
        weight_gain=lr / math.sqrt(fan_in),
        bias_gain=lr,
    )


def mapping(z_dim: int, w_dim: int, num_ws: int, layers: int) -> PersistentObject:
    fcs = {
        f"fc{i}": _fc(z_dim if i == 0 else w_dim, w_dim, 0.01, activation="lrelu")
        for i in range(layers)
    }
    return _record(
        "MappingNetwork",
        {},
        {"w_avg": torch.randn(w_dim)},
        fcs,
        z_dim=z_dim,
        c_dim=0,
        w_dim=w_dim,
        num_ws=num_ws,
    )


def _filter() -> torch.Tensor:
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f = torch.outer(f, f)
    return f / f.sum()


def stylegan2(
    resolution: int, channel_base: int = 32768, channel_max: int = 512, w_dim: int = 512
) -> PersistentObject:
    """Config F: 8-layer mapping, channels min(channel_base / res, channel_max)."""
    resolutions = [2**i for i in range(2, int(math.log2(resolution)) + 1)]
    ch = {r: min(channel_base // r, channel_max) for r in resolutions}
    blocks, num_ws = {}, 0

    def layer(cin, cout, res, up):
        return _record(
            "SynthesisLayer",
            {
                "weight": torch.randn(cout, cin, 3, 3),
                "bias": torch.zeros(cout),
                "noise_strength": torch.tensor(0.1),
            },
            {"resample_filter": _filter(), "noise_const": torch.randn(res, res)},
            {"affine": _fc(w_dim, cin, bias_init=1.0)},
            resolution=res,
            up=up,
            padding=1,
            activation="lrelu",
            conv_clamp=256,
            use_noise=True,
        )

    for r in resolutions:
        first = r == 4
        mods = {
            "conv1": layer(ch[r], ch[r], r, 1),
            "torgb": _record(
                "ToRGBLayer",
                {"weight": torch.randn(3, ch[r], 1, 1), "bias": torch.zeros(3)},
                {},
                {"affine": _fc(w_dim, ch[r], bias_init=1.0)},
                conv_clamp=256,
            ),
        }
        params = {"const": torch.randn(ch[r], 4, 4)} if first else {}
        if not first:
            mods["conv0"] = layer(ch[r // 2], ch[r], r, 2)
        blocks[f"b{r}"] = _record(
            "SynthesisBlock",
            params,
            {"resample_filter": _filter()},
            mods,
            in_channels=0 if first else ch[r // 2],
            architecture="skip",
            num_conv=1 if first else 2,
        )
        num_ws += 1 if first else 2
    num_ws += 1
    synthesis = _record(
        "SynthesisNetwork",
        {},
        {},
        blocks,
        block_resolutions=resolutions,
        num_ws=num_ws,
        img_resolution=resolution,
    )
    return _record(
        "Generator", {}, {}, {"synthesis": synthesis, "mapping": mapping(w_dim, w_dim, num_ws, 8)}
    )


def stylegan3(
    resolution: int,
    channel_base: int = 32768,
    channel_max: int = 512,
    w_dim: int = 512,
    radial: bool = False,
) -> PersistentObject:
    """Config T (R with ``radial``): the paper's cutoff / stopband / sampling-rate schedule,
    14 layers, 10-pixel margins, 2-layer mapping. Filter taps are random (timing only)."""
    num_layers, critical, margin, first_cutoff = 14, 2, 10, 2.0
    first_stopband, last_cutoff = 2**2.1, resolution / 2
    last_stopband = last_cutoff * 2**0.3
    exps = np.minimum(np.arange(num_layers + 1) / (num_layers - critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exps
    stopbands = first_stopband * (last_stopband / first_stopband) ** exps
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, resolution))))
    sizes = rates + margin * 2
    sizes[-2:] = resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max)).astype(int)
    channels[-1] = 3
    layers, names = {}, []
    for i in range(num_layers + 1):
        prev = max(i - 1, 0)
        torgb = i == num_layers
        tmp = max(rates[prev], rates[i]) * (1 if torgb else 2)
        up = int(np.rint(tmp / rates[prev]))
        down = int(np.rint(tmp / rates[i]))
        up_taps = 6 * up if up > 1 and not torgb else 1
        down_taps = 6 * down if down > 1 and not torgb else 1
        kernel = 1 if torgb or radial else 3
        total = (
            (sizes[i] - 1) * down + 1 - (sizes[prev] + kernel - 1) * up + up_taps + down_taps - 2
        )
        lo = int((total + up) // 2)
        hi = int(total - lo)
        cin, cout = int(channels[prev]), int(channels[i])
        name = f"L{i}_{int(sizes[i])}_{cout}"
        names.append(name)
        down_filter = None
        if down_taps > 1:
            down_filter = (
                torch.rand(down_taps, down_taps)
                if radial and i >= num_layers - 1
                else torch.rand(down_taps)
            )
        layers[name] = _record(
            "SynthesisLayer",
            {"weight": torch.randn(cout, cin, kernel, kernel), "bias": torch.zeros(cout)},
            {
                "magnitude_ema": torch.tensor(1.0),
                "up_filter": torch.rand(up_taps) if up_taps > 1 else None,
                "down_filter": down_filter,
            },
            {"affine": _fc(w_dim, cin, bias_init=1.0)},
            is_torgb=torgb,
            conv_kernel=kernel,
            in_channels=cin,
            up_factor=up,
            down_factor=down,
            padding=[lo, hi, lo, hi],
            conv_clamp=256,
        )
    size = int(sizes[0])
    inputs = _record(
        "SynthesisInput",
        {"weight": torch.randn(int(channels[0]), int(channels[0]))},
        {
            "transform": torch.eye(3),
            "freqs": torch.randn(int(channels[0]), 2),
            "phases": torch.rand(int(channels[0])) - 0.5,
        },
        {"affine": _fc(w_dim, 4)},
        channels=int(channels[0]),
        size=np.array([size, size]),
        sampling_rate=float(rates[0]),
        bandwidth=float(cutoffs[0]),
    )
    synthesis = _record(
        "SynthesisNetwork",
        {},
        {},
        {"input": inputs, **layers},
        layer_names=names,
        output_scale=0.25,
        num_ws=num_layers + 2,
        img_resolution=resolution,
    )
    return _record(
        "Generator",
        {},
        {},
        {"synthesis": synthesis, "mapping": mapping(w_dim, w_dim, num_layers + 2, 2)},
    )


BIGGAN_DEEP_LAYERS = {  # (upsample, in x ch, out x ch): two blocks per resolution (the paper)
    128: [
        (False, 16, 16),
        (True, 16, 16),
        (False, 16, 16),
        (True, 16, 8),
        (False, 8, 8),
        (True, 8, 4),
        (False, 4, 4),
        (True, 4, 2),
        (False, 2, 2),
        (True, 2, 1),
    ],
    256: [
        (False, 16, 16),
        (True, 16, 16),
        (False, 16, 16),
        (True, 16, 8),
        (False, 8, 8),
        (True, 8, 8),
        (False, 8, 8),
        (True, 8, 4),
        (False, 4, 4),
        (True, 4, 2),
        (False, 2, 2),
        (True, 2, 1),
    ],
}


def biggan_deep(resolution: int, ch: int = 128) -> tuple[BigGANConfig, dict[str, torch.Tensor]]:
    """A random state dict in the published layout (channel width 128, 1000 classes)."""
    config = BigGANConfig(
        output_dim=resolution,
        z_dim=128,
        class_embed_dim=128,
        channel_width=ch,
        num_classes=1000,
        layers=BIGGAN_DEEP_LAYERS[resolution],
        attention_layer_position=8,
    )
    state: dict[str, torch.Tensor] = {"embeddings.weight": torch.randn(128, 1000) * 0.05}
    cond = 256

    def sn(prefix: str, shape: tuple[int, ...], bias: bool = True) -> None:
        state[f"{prefix}.weight_orig"] = torch.randn(*shape) * 0.05
        state[f"{prefix}.weight_u"] = torch.randn(shape[0])
        state[f"{prefix}.weight_v"] = torch.randn(int(np.prod(shape[1:])))
        if bias:
            state[f"{prefix}.bias"] = torch.zeros(shape[0])

    def norm(prefix: str, n: int) -> None:
        state[f"{prefix}.running_means"] = torch.zeros(51, n)
        state[f"{prefix}.running_vars"] = torch.ones(51, n)
        sn(f"{prefix}.scale", (n, cond), bias=False)
        sn(f"{prefix}.offset", (n, cond), bias=False)

    sn("generator.gen_z", (4 * 4 * 16 * ch, cond))
    index = 0
    for position, (_, cin, cout) in enumerate(config.layers):
        cin, cout = cin * ch, cout * ch
        if position == config.attention_layer_position:
            p = f"generator.layers.{index}"
            for name, shape in (
                ("theta", (cin // 8, cin)),
                ("phi", (cin // 8, cin)),
                ("g", (cin // 2, cin)),
                ("o_conv", (cin, cin // 2)),
            ):
                sn(f"{p}.snconv1x1_{name}", (*shape, 1, 1), bias=False)
            state[f"{p}.gamma"] = torch.zeros(1)
            index += 1
        p, mid = f"generator.layers.{index}", cin // 4
        for i, n in enumerate((cin, mid, mid, mid)):
            norm(f"{p}.bn_{i}", n)
        sn(f"{p}.conv_0", (mid, cin, 1, 1))
        sn(f"{p}.conv_1", (mid, mid, 3, 3))
        sn(f"{p}.conv_2", (mid, mid, 3, 3))
        sn(f"{p}.conv_3", (cout, mid, 1, 1))
        index += 1
    state["generator.bn.running_means"] = torch.zeros(51, ch)
    state["generator.bn.running_vars"] = torch.ones(51, ch)
    state["generator.bn.weight"] = torch.ones(ch)
    state["generator.bn.bias"] = torch.zeros(ch)
    sn("generator.conv_to_rgb", (ch, ch, 3, 3))
    return config, state


def write_network_pickle(generator: PersistentObject, path) -> None:
    """Save ``generator`` as NVIDIA's training loop does (``dict(G_ema=...)`` of persistence
    records: a call of ``torch_utils.persistence._reconstruct_persistent_obj(meta)``), so
    the live engine can be timed on it through ``--model``. No module source is written."""
    import pickle
    import sys
    import types

    package = types.ModuleType("torch_utils")
    module = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # named by the pickle, never called here
        raise NotImplementedError

    _reconstruct_persistent_obj.__module__ = module.__name__
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    module._reconstruct_persistent_obj = _reconstruct_persistent_obj
    package.persistence = module

    class Persistent:
        def __init__(self, record: PersistentObject) -> None:
            self.record = record

        def __reduce__(self):
            state = dict(self.record.state)
            state["_modules"] = OrderedDict(
                (k, Persistent(v)) for k, v in self.record.modules.items()
            )
            return _reconstruct_persistent_obj, (
                {
                    "type": "class",
                    "version": 6,
                    "module_src": "",
                    "class_name": self.record.class_name,
                    "state": state,
                },
            )

    saved = {name: sys.modules.get(name) for name in ("torch_utils", "torch_utils.persistence")}
    sys.modules.update({"torch_utils": package, "torch_utils.persistence": module})
    try:
        with open(path, "wb") as f:
            pickle.dump({"G_ema": Persistent(generator)}, f, protocol=4)
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
