"""A StyleGAN pickle's discriminator, rebuilt from the file as plain data: its score of the
reference picture is NVIDIA's to the last bit, for every fixture (StyleGAN2, 2-ADA, their
conditional ones, StyleGAN3 T and R); and it dreams (its blocks are the layers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.errors import UserError
from app.engine.dream import dream_step, objective
from app.engine.dream_nets import load_dream_net
from app.engine.generators.stylegan_disc import StyleGANDiscriminator, pick_discriminator
from app.engine.model_files import load_network_pickle
from tests.gan_fixtures import FIXTURES, STYLEGAN_PICKLES, needs_fixtures, reference

pytestmark = needs_fixtures


@pytest.mark.parametrize("name", STYLEGAN_PICKLES)
def test_the_score_is_nvidias(name):
    d = StyleGANDiscriminator(pick_discriminator(load_network_pickle(FIXTURES / f"{name}.pkl")))
    ref = reference(name)
    c = torch.from_numpy(ref["case0_c"]).float()
    with torch.no_grad():
        score = d.score(torch.from_numpy(ref["case0_img"]).float(), c if c.shape[1] else None)
    assert torch.equal(score, torch.from_numpy(ref["case0_D"]).float().reshape(score.shape))


def test_it_dreams_on_its_blocks():
    net = load_dream_net(FIXTURES / "stylegan2-ada.pkl")
    assert list(net.layers) == ["b64", "b32", "b16", "b8"]
    x = net.preprocess(torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0)))
    before = objective(net.features(x, ["b16"])).item()
    x = dream_step(net, x, ["b16"], 1.5, 4, np.random.default_rng(0))
    assert objective(net.features(x, ["b16"])).item() > before


def test_a_pickle_without_a_discriminator_is_one_line(tmp_path):
    import pickle

    (tmp_path / "g-only.pkl").write_bytes(pickle.dumps({"G": None}))
    with pytest.raises(UserError, match="g-only.pkl': has no discriminator"):
        load_dream_net(tmp_path / "g-only.pkl")
