"""The dream algorithm on small CNNs with random weights: every step climbs the chosen
layer's objective, octaves follow seed 004's table, a guide pulls features towards it,
the blend and layer loops run as seed 004's, and bad layers are named."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from app.engine.dream import (
    DreamNet,
    DreamSettings,
    blend_values,
    deepdream,
    dream_step,
    guide_features,
    layer_loop,
    objective,
    octave_sizes,
)


def small_net(seed: int = 0) -> DreamNet:
    torch.manual_seed(seed)
    body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
                         nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())  # fmt: skip
    return DreamNet(body, {"conv1": body[1], "conv2": body[3], "conv3": body[5]},
                    lambda x: x * 2 - 1, lambda x: (x + 1) / 2, -1.0, 1.0, "small")  # fmt: skip


def picture(seed: int = 1, size=(24, 32)) -> torch.Tensor:
    return torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("layer", ["conv1", "conv2", "conv3"])
def test_each_step_raises_the_chosen_layers_objective(layer):
    net, rng = small_net(), np.random.default_rng(0)
    x = net.preprocess(picture())
    for _ in range(5):
        before = objective(net.features(x, [layer])).item()
        x = dream_step(net, x, [layer], 1.5, 0, rng)
        assert objective(net.features(x, [layer])).item() > before


def test_octave_sizes_follow_seed_004s_table():
    assert octave_sizes(1050, 1680, 4, 1.4) == [(383, 612), (536, 857), (750, 1200),
                                                (1050, 1680)]  # fmt: skip
    assert octave_sizes(360, 640, 1, 1.4) == [(360, 640)]


def test_a_whole_dream_changes_the_picture_and_keeps_its_size_and_range():
    net = small_net()
    settings = DreamSettings(octaves=3, octave_scale=1.4, iterations=3, jitter=4, step_size=3.0)
    steps = []
    out = deepdream(net, picture(), ["conv2"], settings, np.random.default_rng(1),
                    on_step=lambda: steps.append(1))  # fmt: skip
    assert out.shape == (1, 3, 24, 32) and 0 <= out.min() and out.max() <= 1
    assert len(steps) == 9 and (out - picture()).abs().mean() > 0.01
    again = deepdream(net, picture(), ["conv2"], settings, np.random.default_rng(1))
    assert torch.equal(out, again)  # the same seed dreams the same picture


def colour_net() -> DreamNet:
    """Features that are the colour channels themselves (a 1x1 identity convolution): what
    a feature is, is plain to see."""
    conv = nn.Conv2d(3, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
    body = nn.Sequential(conv, nn.ReLU())
    return DreamNet(body, {"colour": body[1]}, lambda x: x * 2 - 1, lambda x: (x + 1) / 2,
                    -1.0, 1.0, "colour")  # fmt: skip


def test_a_guide_image_moves_features_towards_it():
    net, settings = colour_net(), DreamSettings(octaves=2, iterations=6, jitter=2, step_size=6.0)
    start = torch.full((1, 3, 16, 16), 0.6)
    red = torch.zeros(1, 3, 16, 16)
    red[:, 0] = 1.0
    guided = deepdream(net, start, ["colour"], settings, np.random.default_rng(0),
                       guides=guide_features(net, red, ["colour"]))  # fmt: skip
    plain = deepdream(net, start, ["colour"], settings, np.random.default_rng(0))
    assert guided[:, 0].mean() > 0.9 and guided[:, 1:].mean() == pytest.approx(0.6)  # redder
    assert plain[:, 0].mean() == pytest.approx(plain[:, 1].mean())  # unguided: every channel


def test_the_loop_blend_runs_half_to_one_and_back():
    assert blend_values("loop", 12, np.random.default_rng(0)) == [
        0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.6]  # fmt: skip
    assert blend_values(0.85, 3, np.random.default_rng(0)) == [0.85] * 3
    randoms = blend_values("random", 100, np.random.default_rng(0))
    assert min(randoms) >= 0.5 and max(randoms) <= 1.0 and len(set(randoms)) == 100
    with pytest.raises(ValueError, match="blend '1.5': a number from 0 to 1"):
        blend_values("1.5", 1, np.random.default_rng(0))


def test_the_layer_loop_visits_seed_004s_order():
    names = ["inception_4c/output", "inception_4d/output", "inception_4e/output",
             "inception_5a/output", "inception_5b/output"]  # fmt: skip
    assert layer_loop(names) == names + names[-2::-1]
    assert [n[10:12] for n in layer_loop(names)] == ["4c", "4d", "4e", "5a", "5b", "5a", "4e",
                                                     "4d", "4c"]  # fmt: skip
    assert layer_loop(["one"]) == ["one"]


def test_an_unknown_layer_is_named_with_the_ones_there_are():
    with pytest.raises(ValueError, match="unknown layer 'conv9' of small .*conv1, conv2, conv3"):
        small_net().check_layers(["conv1", "conv9"])
