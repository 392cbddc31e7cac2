"""The ImageNet networks to dream with, filled from weight files laid out as torchvision's
(made here with random weights and the files' extra entries: classifier, aux heads):
found by name in the torch hub cache or by path, layers named (seed 004's Caffe names
too), and files that are not theirs refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.errors import UserError
from app.engine.dream import dream_step, objective
from app.engine.dream_nets import load_dream_net
from app.engine.dream_zoo import CUSTOM_LOOP, GoogLeNet, InceptionV3, VGG16Net


def vgg16_file(path):
    state = VGG16Net().state_dict()
    state["classifier.0.weight"] = torch.zeros(4, 4)  # torchvision's file has its head too
    torch.save(state, path)
    return path


def googlenet_file(path):
    state = GoogLeNet().state_dict()
    state.update({"aux1.fc2.weight": torch.zeros(2, 2), "fc.weight": torch.zeros(2, 2)})
    torch.save(state, path)
    return path


def inception_v3_file(path):
    """As torchvision's 2018 file: an auxiliary head, no batch counters."""
    state = {k: v for k, v in InceptionV3().state_dict().items()
             if not k.endswith("num_batches_tracked")}  # fmt: skip
    state["AuxLogits.fc.weight"] = torch.zeros(2, 2)
    torch.save(state, path)
    return path


@pytest.mark.parametrize("make,layer", [(vgg16_file, "conv4_3"), (googlenet_file, "inception4c"),
                                        (inception_v3_file, "Mixed_6b")])  # fmt: skip
def test_a_torchvision_file_dreams(make, layer, tmp_path):
    net = load_dream_net(make(tmp_path / "weights.pth"))
    net.check_layers([layer])
    x = net.preprocess(torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0)))
    before = objective(net.features(x, [layer])).item()
    x = dream_step(net, x, [layer], 1.5, 4, np.random.default_rng(0))
    assert objective(net.features(x, [layer])).item() > before


def test_the_hub_cache_by_name_and_seed_004s_layer_names(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(
        UserError, match="--net googlenet: no weights at '.*googlenet-1378be20.pth'"
    ):
        load_dream_net("googlenet")
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    googlenet_file(tmp_path / "hub" / "checkpoints" / "googlenet-1378be20.pth")
    net = load_dream_net("googlenet")
    seed_names = [f"inception_{n[9:]}/output" for n in CUSTOM_LOOP]
    net.check_layers(seed_names)
    features = net.features(net.preprocess(torch.rand(1, 3, 64, 64)), seed_names[:1])
    assert features[0].shape[1] == 512  # inception4c: 128 + 256 + 64 + 64 channels
    assert list(net.layers)[:3] == ["conv1", "conv2", "conv3"]


def test_files_that_are_not_a_networks_are_refused_by_name(tmp_path):
    state = VGG16Net().state_dict()
    state["features.28.weight"] = torch.zeros(3, 3)
    torch.save(state, tmp_path / "bent.pth")
    with pytest.raises(UserError, match="bent.pth': vgg16's weights do not fit"):
        load_dream_net(tmp_path / "bent.pth")
    torch.save({"Mixed_7c.branch_pool.conv.weight": torch.zeros(1)}, tmp_path / "v3.pth")
    with pytest.raises(UserError, match="v3.pth': not inception_v3's weights"):
        load_dream_net(tmp_path / "v3.pth")
    torch.save({"something": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(UserError, match="other.pth': not a network latentvj dreams with"):
        load_dream_net(tmp_path / "other.pth")


def test_the_blocks_are_as_wide_as_torchvisions(tmp_path):
    widths = {
        vgg16_file: {"conv3_3": 256, "conv5_3": 512, "pool5": 512},
        googlenet_file: {"inception3a": 256, "inception4e": 832, "inception5b": 1024},
        inception_v3_file: {
            "Mixed_5b": 256,
            "Mixed_5d": 288,
            "Mixed_6a": 768,
            "Mixed_7a": 1280,
            "Mixed_7c": 2048,
        },  # fmt: skip
    }
    for make, expected in widths.items():
        net = load_dream_net(make(tmp_path / f"{make.__name__}.pth"))
        features = net.features(net.preprocess(torch.rand(1, 3, 96, 96)), list(expected))
        assert [f.shape[1] for f in features] == list(expected.values()), make.__name__
