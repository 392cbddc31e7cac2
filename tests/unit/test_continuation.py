"""A video generator as a layer (``source: continuation``): the beat clock says which
epoch plays and how many predictions into it; the source rolls out from the epoch's seed
window, the same frames however it is asked; noise feeds back; the reseed trigger starts
an epoch where it lands and is logged as an event."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.patch import LayerSpec
from app.engine.continuation import Continuation, continuation_cue, epoch_start
from app.engine.device import resolve_placement
from app.train.sequences import load_sequences
from app.train.video_config import VideoJob
from app.train.video_trainer import VideoTrainer
from tests.unit.test_sequences import square_frames
from tests.unit.test_video_layers import frame


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A U-Net trained 40 steps on the moving square (8 fps frames after --frame-step)."""
    folder = tmp_path_factory.mktemp("continuation")
    job = VideoJob(name="square", dataset=str(square_frames(folder / "square", n=40, size=32)),
                   frames_in=3, size=(16, 16), channels=8, levels=2, learning_rate=2e-3,
                   folder_fps=8.0)  # fmt: skip
    seqs = load_sequences(job.dataset, job.slider, job.size, folder_fps=8.0, say=lambda line: None)
    trainer = VideoTrainer(job, seqs, resolve_placement("cpu"))
    for _ in range(40):
        trainer.step()
    trainer.save(folder / "square.pt")
    return folder / "square.pt"


def spec(reseed="bar", rate=1.0) -> LayerSpec:
    return LayerSpec(source="continuation", path="square.pt", reseed=reseed, rate=rate)


def test_epochs_begin_on_the_grid_or_at_the_last_trigger():
    at = frame(t_s=3.0, beats=9.5)
    assert epoch_start(spec("beat"), at, None) == 9.0
    assert epoch_start(spec("bar"), at, None) == 8.0
    assert epoch_start(spec("phrase"), at, None) == 0.0
    assert epoch_start(spec("none"), at, None) == 0.0
    assert epoch_start(spec("bar"), at, 8.75) == 8.75  # a trigger after the bar line
    assert epoch_start(spec("bar"), at, 7.0) == 8.0  # ... before it: the bar wins
    assert epoch_start(spec("bar"), at, 10.0) == 8.0  # not yet landed


def test_the_cue_counts_predictions_since_the_epoch_began():
    cue = continuation_cue(spec("bar"), 8.0, 5, frame(beats=9.5, bpm=120.0), 7, 0, 0.0, None)
    assert cue.epoch == 8000 and cue.step == 6  # 1.5 beats at 120 bpm = 0.75 s x 8 fps
    faster = continuation_cue(spec("bar", rate=2.0), 8.0, 5, frame(beats=9.5), 7, 0, 0.0, None)
    assert faster.step == 12 and faster.window == cue.window
    windows = {continuation_cue(spec("beat"), 8.0, 5, frame(beats=b), 7, 0, 0.0, None).window
               for b in range(40)}  # fmt: skip
    assert len(windows) > 2  # each epoch starts from a window drawn by its beat
    free = continuation_cue(spec("none"), 8.0, 5, frame(t_s=2.0, beats=4.0), 7, 0, 0.0, None)
    assert free.step == 16 and free.epoch == 0  # no re-seed: steps from the start


def test_the_rollout_is_the_same_however_it_is_asked(checkpoint):
    source = Continuation(checkpoint)
    assert source.size == (16, 16) and source.fps == 8.0 and source.windows > 1
    cue = continuation_cue(spec(), source.fps, source.windows, frame(beats=8.0), 1, 0, 0.0, None)
    start = source.frame_at(cue)
    assert np.array_equal(start, source.seeds[cue.window, -1])  # step 0: the footage itself
    stepwise = [source.frame_at(type(cue)(**{**cue.__dict__, "step": s})) for s in range(1, 7)]
    at_once = Continuation(checkpoint).frame_at(type(cue)(**{**cue.__dict__, "step": 6}))
    assert np.array_equal(stepwise[-1], at_once)
    assert not np.array_equal(stepwise[0], stepwise[-1])  # it moves
    noisy = dict(cue.__dict__, step=6, noise=1.0)
    a = Continuation(checkpoint).frame_at(type(cue)(**noisy))
    b = Continuation(checkpoint).frame_at(type(cue)(**noisy))
    assert np.array_equal(a, b) and not np.array_equal(a, at_once)
    back = source.frame_at(type(cue)(**{**cue.__dict__, "epoch": 12000, "step": 0}))
    assert np.array_equal(back, source.seeds[cue.window, -1])  # a new epoch: the footage again


def test_the_reseed_trigger_lands_as_a_logged_event(checkpoint):
    from app.core.presets import load_preset
    from app.engine.param_specs import build_registry
    from app.engine.player import Player
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    patch = patch.model_copy(update={"layers": [spec()]})
    placement = resolve_placement("cpu")

    def make(size):
        return FrameRenderer(patch, registry, size, placement, preset_dir=checkpoint.parent)

    player = Player(make, (64, 36), 25.0)
    events = []
    player.on_event = events.append
    player.render(frame(t_s=0.0, beats=0.0))
    player.trigger("reseed")
    player.render(frame(t_s=2.8, beats=5.5))
    assert events == [{"type": "reseed", "t_s": 2.8, "beats": 5.5}]
    assert player.latest_renderer.layers.reseed_at == 5.5


def test_live_a_slow_network_plays_at_its_own_pace_and_hears_a_new_epoch(checkpoint):
    source = Continuation(checkpoint)
    cue = continuation_cue(spec(), source.fps, source.windows, frame(beats=8.0), 1, 0, 0.0,
                           None, live=True)  # fmt: skip
    far = type(cue)(**{**cue.__dict__, "step": 500})
    source.frame_at(far)
    assert source._step == 2  # two predictions a request, not 500 before answering
    source.frame_at(type(cue)(**{**cue.__dict__, "epoch": 9000, "step": 0}))
    assert source._step == 0 and source._at[0] == 9000
