"""DeepDream in torch, as seed 004 does it: gradient ascent on the activations of one or
more layers of a CNN, over octaves (the picture shrunk by ``octave_scale`` per octave,
dreamed smallest first, the dreamed detail carried up), each step on a randomly shifted
copy (``jitter``) by the gradient normalised by its mean magnitude (``step_size``).
Maximising the activations' energy (L2), or, with a guide image, matching each position's
features to the guide's most similar ones.

A video is dreamed frame by frame, each input frame first blended with the previous
dreamed frame (``blend_values``: a constant, ``loop`` 0.5 -> 1 -> 0.5, or ``random``
0.5-1), and the layer may change per frame or per beat (``layer_loop``: up the list and
back, as seed 004's ``customloop``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LOOP_STEP = 0.1  # the loop blend moves this much per frame


@dataclass(frozen=True)
class DreamSettings:
    """Seed 004's knobs, with its defaults."""

    octaves: int = 4
    octave_scale: float = 1.4
    iterations: int = 10
    jitter: int = 32
    step_size: float = 1.5


class DreamNet:
    """A CNN to dream with: ``module`` run on pictures made by ``preprocess`` (from
    [1, 3, H, W] in [0, 1]; ``deprocess`` turns them back; ``low`` / ``high``: the input's
    range, per channel or not), ``layers`` by name: the modules whose outputs are the
    features (read with forward hooks). Kept in eval mode without gradients for its
    weights."""

    def __init__(self, module: nn.Module, layers: dict[str, nn.Module],
                 preprocess: Callable[[torch.Tensor], torch.Tensor],
                 deprocess: Callable[[torch.Tensor], torch.Tensor],
                 low: float | torch.Tensor, high: float | torch.Tensor, name: str,
                 aliases: dict[str, str] | None = None) -> None:  # fmt: skip
        self.module = module.eval().requires_grad_(False)
        self.layers, self.name = layers, name
        self.aliases = aliases or {}  # other names of layers (seed 004's Caffe names)
        self.preprocess, self.deprocess = preprocess, deprocess
        self.low, self.high = low, high  # the valid range of the network's input

    def check_layers(self, names: Sequence[str]) -> None:
        """ValueError naming an unknown layer (with the ones there are)."""
        for name in names:
            if self.aliases.get(name, name) not in self.layers:
                raise ValueError(f"unknown layer {name!r} of {self.name} (its layers: "
                                 f"{', '.join(self.layers)})")  # fmt: skip

    def features(self, x: torch.Tensor, names: Sequence[str]) -> list[torch.Tensor]:
        """The outputs of layers ``names`` for the input ``x``."""
        found: dict[str, torch.Tensor] = {}
        hooks = [self.layers[self.aliases.get(name, name)].register_forward_hook(
                     lambda _m, _i, out, n=name: found.__setitem__(n, out))
                 for name in names]  # fmt: skip
        try:
            self.module(x)
        finally:
            for hook in hooks:
                hook.remove()
        return [found[name] for name in names]


def objective(
    features: Sequence[torch.Tensor], guides: Sequence[torch.Tensor] | None = None
) -> torch.Tensor:
    """What a step climbs: half the activations' energy (its gradient is the activations,
    as seed 004's L2 objective); with guide features, each position's dot product with
    the guide feature it already resembles most (seed 004's guided objective)."""
    total = features[0].new_zeros(())
    for i, f in enumerate(features):
        if guides is None:
            total = total + 0.5 * (f * f).sum()
            continue
        channels = f.shape[1]
        x = f.reshape(channels, -1)
        y = guides[i].reshape(channels, -1)
        match = (x.detach().T @ y).argmax(dim=1)
        total = total + (x * y[:, match]).sum()
    return total


def dream_step(
    net: DreamNet,
    x: torch.Tensor,
    layers: Sequence[str],
    step_size: float,
    jitter: int,
    rng: np.random.Generator,
    guides: Sequence[torch.Tensor] | None = None,
) -> torch.Tensor:
    """One ascent step on the network input ``x`` (shifted by up to ``jitter`` pixels
    while the gradient is taken, shifted back after): ``step_size`` pixel levels (of 255)
    on average, along the gradient."""
    ox, oy = (int(v) for v in rng.integers(-jitter, jitter + 1, 2)) if jitter else (0, 0)
    with torch.enable_grad():
        shifted = torch.roll(x, shifts=(oy, ox), dims=(-2, -1)).detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(net.features(shifted, layers), guides), shifted)
    # seed 004's step is in pixel levels (0-255, Caffe's input): the same share of the range
    step = step_size * (net.high - net.low) / 255.0
    stepped = shifted.detach() + step / grad.abs().mean().clamp_min(1e-12) * grad
    return torch.roll(stepped, shifts=(-oy, -ox), dims=(-2, -1)).clamp(net.low, net.high)


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """(h, w) of each octave, smallest first, ending at the frame's own size: each one the
    one above divided by ``scale`` and rounded (seed 004: 4 octaves of 1050x1680 at 1.4
    give 383x612, 536x857, 750x1200, 1050x1680)."""
    sizes = [(height, width)]
    for _ in range(octaves - 1):
        h, w = sizes[-1]
        sizes.append((max(1, round(h / scale)), max(1, round(w / scale))))
    return sizes[::-1]


def deepdream(
    net: DreamNet,
    picture: torch.Tensor,
    layers: Sequence[str],
    settings: DreamSettings,
    rng: np.random.Generator,
    guides: Sequence[torch.Tensor] | None = None,
    on_step: Callable[[], None] | None = None,
) -> torch.Tensor:
    """``picture`` ([1, 3, H, W] in [0, 1]) dreamed: the octaves smallest first, the
    detail dreamed into each carried up to the next. ``on_step`` hears every step (a
    progress bar)."""
    base = net.preprocess(picture)
    h, w = base.shape[-2:]
    sizes = octave_sizes(h, w, settings.octaves, settings.octave_scale)
    detail = torch.zeros_like(base[..., : sizes[0][0], : sizes[0][1]])
    for size in sizes:
        octave_base = base if size == (h, w) else F.interpolate(
            base, size=size, mode="bilinear", align_corners=False)  # fmt: skip
        if detail.shape[-2:] != size:
            detail = F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
        x = octave_base + detail
        for _ in range(settings.iterations):
            x = dream_step(net, x, layers, settings.step_size, settings.jitter, rng, guides)
            if on_step is not None:
                on_step()
        detail = x - octave_base
    return net.deprocess(x).clamp(0.0, 1.0)


def guide_features(net: DreamNet, guide: torch.Tensor, layers: Sequence[str]) -> list:
    """A guide image's features ([1, 3, H, W] in [0, 1]), to dream towards."""
    with torch.no_grad():
        return [f.detach() for f in net.features(net.preprocess(guide), layers)]


def blend_values(blend: str | float, count: int, rng: np.random.Generator) -> list[float]:
    """How much of each input frame goes into the picture dreamed for it (the rest: the
    previous dreamed frame): a constant, ``loop`` (0.5 up to 1 in steps of LOOP_STEP and
    back down, over and over) or ``random`` (0.5 to 1)."""
    if blend == "random":
        return [float(v) for v in rng.uniform(0.5, 1.0, count)]
    if blend == "loop":
        up = [round(0.5 + LOOP_STEP * i, 6) for i in range(int(round(0.5 / LOOP_STEP)) + 1)]
        cycle = up + up[-2:0:-1]
        return [cycle[i % len(cycle)] for i in range(count)]
    value = float(blend)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"blend {blend!r}: a number from 0 to 1, 'loop' or 'random'")
    return [value] * count


def layer_loop(layers: Sequence[str]) -> list[str]:
    """Seed 004's ``customloop``: up the list and back down, both ends once per pass
    (4c, 4d, 4e, 5a, 5b, 5a, 4e, 4d, 4c); the layer of frame (or beat) ``i`` is entry
    ``i`` modulo its length."""
    return [*layers, *list(layers)[-2::-1]] if len(layers) > 1 else list(layers)


class LiveDream:
    """A patch's dream effect at one renderer's size: a few ascent steps on each frame,
    the step scaled by the ``fx.dream`` parameter (0: the frame goes through untouched and
    costs nothing). The layer follows the frame or the beat when ``layer_loop`` says so;
    randomness (the jitter) comes from the patch seed and the frame's time, so a render
    dreams the same every time."""

    def __init__(self, spec, net: DreamNet, seed: int) -> None:
        self.spec, self.net, self.seed = spec, net, seed
        layers = list(spec.layers) or [list(net.layers)[-1]]
        net.check_layers(layers)  # ValueError naming an unknown one
        self.layers = layers
        self.loop = layer_loop(layers)

    def layers_at(self, beats: float, frame: int) -> list[str]:
        if self.spec.layer_loop == "none":
            return self.layers
        index = frame if self.spec.layer_loop == "frame" else int(np.floor(beats))
        return [self.loop[index % len(self.loop)]]

    def apply(
        self, img: torch.Tensor, amount: float, t_s: float, beats: float, frame: int
    ) -> torch.Tensor:
        """``img`` ([1, 3, H, W] in [0, 1]) dreamed by ``amount`` (0-1)."""
        if amount <= 0.0:
            return img
        s = self.spec
        settings = DreamSettings(s.octaves, s.octave_scale, s.iterations, s.jitter,
                                 s.step_size * amount)  # fmt: skip
        rng = np.random.default_rng([self.seed, int(round(t_s * 1000.0)) & 0x7FFFFFFF])
        with torch.inference_mode(False):  # frames are drawn in inference mode: leave it
            picture = img.clone().float()
            dreamed = deepdream(self.net, picture, self.layers_at(beats, frame), settings, rng)
        return dreamed.to(img.dtype)
