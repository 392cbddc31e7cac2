"""The video generators (seed 002) on a moving square made here: shapes through the U-Net
and the ResNet, and a tiny U-Net trained a few hundred steps on the CPU predicts the next
frame better than repeating the last one (mean squared error on held-out windows,
printed)."""

from __future__ import annotations

import torch

from app.train.sequences import Slider, load_sequences
from app.train.video_nets import Discriminator3D, ResNet3D, UNet3D
from app.train.video_trainer import held_out_error, train_video_steps
from tests.unit.test_sequences import square_frames


def test_the_generators_draw_the_next_frames():
    given = torch.rand(2, 3, 4, 16, 16) * 2 - 1
    for net in (UNet3D(4, 2, channels=4, levels=3), ResNet3D(4, 2, channels=4, blocks=2)):
        out = net(given)
        assert out.shape == (2, 3, 2, 16, 16) and out.abs().max() <= 1.0
    assert Discriminator3D(6, (16, 16), channels=4)(torch.rand(2, 3, 6, 16, 16)).shape == (2,)


def test_a_tiny_unet_beats_repeating_the_last_frame(tmp_path):
    torch.manual_seed(0)
    seqs = load_sequences(square_frames(tmp_path / "square", n=60, size=32), Slider(3, 1),
                          (16, 16), validation=0.2, say=lambda line: None)  # fmt: skip
    generator = UNet3D(3, 1, channels=8, levels=2)
    discriminator = Discriminator3D(4, (16, 16), channels=8, levels=2)
    losses = train_video_steps(generator, discriminator, seqs, steps=200, batch=8, lr=2e-3)
    model, repeat = held_out_error(generator, seqs)
    print(f"\nheld-out MSE: generator {model:.4f}, repeating the last frame {repeat:.4f}")
    assert model < repeat and losses[-1].generator < losses[0].generator
