"""The video generators (seed 002) on a moving square made here: shapes through the U-Net
and the ResNet; a tiny U-Net trained a few hundred steps on the CPU predicts the next
frame better than repeating the last one (mean squared error on held-out windows,
printed); a resumed run goes on with the same steps and losses as one never stopped; a
checkpoint that is not one is refused with one line and nothing in it runs."""

from __future__ import annotations

import pickle

import pytest
import torch

from app.core.errors import UserError
from app.engine.device import resolve_placement
from app.engine.video_nets import ResNet3D, UNet3D, load_video_checkpoint
from app.train.sequences import load_sequences
from app.train.video_config import VideoJob
from app.train.video_losses import Discriminator3D
from app.train.video_trainer import VideoTrainer
from tests.unit.test_sequences import square_frames


def tiny_job(folder, **values) -> VideoJob:
    options = dict(frames_in=3, size=(16, 16), channels=8, levels=2, learning_rate=2e-3)
    return VideoJob(name="square", dataset=str(folder), **{**options, **values})


def trainer_for(job: VideoJob) -> VideoTrainer:
    seqs = load_sequences(job.dataset, job.slider, job.size, validation=0.2,
                          say=lambda line: None)  # fmt: skip
    return VideoTrainer(job, seqs, resolve_placement("cpu"))


def test_the_generators_draw_the_next_frames():
    given = torch.rand(2, 3, 4, 16, 16) * 2 - 1
    for net in (UNet3D(4, 2, channels=4, levels=3), ResNet3D(4, 2, channels=4, blocks=2)):
        out = net(given)
        assert out.shape == (2, 3, 2, 16, 16) and out.abs().max() <= 1.0
    assert Discriminator3D(6, (16, 16), channels=4)(torch.rand(2, 3, 6, 16, 16)).shape == (2,)


def test_a_tiny_unet_beats_repeating_the_last_frame(tmp_path):
    trainer = trainer_for(tiny_job(square_frames(tmp_path / "square", n=60, size=32)))
    for _ in range(200):
        trainer.step()
    model, repeat = trainer.held_out_error()
    print(f"\nheld-out MSE: generator {model:.4f}, repeating the last frame {repeat:.4f}")
    history = trainer.history
    assert model < repeat and history[-1][1] < history[0][1]
    grid = trainer.sample()  # a row per shown window: last given, predicted, true
    assert grid.shape == (len(trainer.shown) * 16, 3 * 16, 3)


def test_a_resumed_run_goes_on_as_if_never_stopped(tmp_path):
    job = tiny_job(square_frames(tmp_path / "square", n=40, size=32), batch=4)
    whole = trainer_for(job)
    for _ in range(12):
        whole.step()
    first = trainer_for(job)
    for _ in range(6):
        first.step()
    first.save(tmp_path / "square.pt")
    resumed = trainer_for(job)
    resumed.resume(tmp_path / "square.pt")
    assert resumed.step_count == 6
    for _ in range(6):
        resumed.step()
    assert [s for s, _, _ in resumed.history] == list(range(1, 13))
    flat = [value for row in resumed.history for value in row]
    assert flat == pytest.approx([value for row in whole.history for value in row], rel=1e-4)
    for a, b in zip(resumed.generator.state_dict().values(), whole.generator.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)


def test_a_checkpoint_plays_without_its_footage(tmp_path):
    trainer = trainer_for(tiny_job(square_frames(tmp_path / "square", n=40, size=32)))
    trainer.save(tmp_path / "square.pt")
    net, config, seeds, payload = load_video_checkpoint(tmp_path / "square.pt")
    assert config.size == (16, 16) and config.frame_rate == 25.0 and not net.training
    assert seeds.shape[1:] == (3, 16, 16, 3) and 1 < len(seeds) <= 16
    assert payload["training"]["step"] == 0


class Boom:
    def __reduce__(self):
        return (print, ("this ran",))


def test_a_bad_checkpoint_is_one_line_and_nothing_in_it_runs(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 not really a checkpoint")
    hostile = tmp_path / "hostile.pt"
    torch.save({"format": "latentvj-video-generator", "x": Boom()}, hostile)  # pickles Boom
    other = tmp_path / "other.pt"
    torch.save({"format": "something else"}, other)
    for path, says in ((corrupt, "not a readable torch checkpoint"),
                       (hostile, "not a readable torch checkpoint"),
                       (other, "not a latentvj video generator")):  # fmt: skip
        with pytest.raises(UserError, match=says) as caught:
            load_video_checkpoint(path)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert "this ran" not in capsys.readouterr().out
    assert pickle.dumps(Boom())  # (the hostile file really carried a call)
