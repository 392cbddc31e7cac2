"""The live dream effect on a preset: off at ``fx.dream`` 0 (the frame as without it),
on it changes the frame, the same every time; one layer a beat up the list and back; a
network or layer that cannot be used is one line naming it."""

from __future__ import annotations

import pytest

from app.core.errors import UserError
from app.core.patch import DreamSpec
from app.core.presets import load_preset
from app.engine.device import resolve_placement
from app.engine.param_specs import build_registry
from app.engine.renderer import FrameRenderer
from tests.dream_fixtures import make_dreamer
from tests.unit.test_video_layers import frame

CPU = resolve_placement("cpu")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return make_dreamer(tmp_path_factory.mktemp("dreamer"))


def renderer(dream: DreamSpec | None):
    registry = build_registry()
    patch, path = load_preset("nebula-drift", registry)
    patch = patch.model_copy(update={"dream": dream})
    return FrameRenderer(patch, registry, (64, 36), CPU, preset_dir=path.parent)


def test_the_dream_is_off_at_zero_and_dreams_the_same_every_time(net):
    plain = renderer(None)
    dreaming = renderer(DreamSpec(net=str(net), iterations=2, jitter=2))
    without = plain.render(frame(t_s=1.0, beats=2.0), plain.new_state(), 30.0).image
    state = dreaming.new_state()
    params = dict(dreaming.base_params)
    off = dreaming.render(frame(t_s=1.0, beats=2.0), state, 30.0,
                          base={**params, "fx.dream": 0.0}).image  # fmt: skip
    on = dreaming.render(frame(t_s=1.0, beats=2.0), dreaming.new_state(), 30.0,
                         base={**params, "fx.dream": 1.0}).image  # fmt: skip
    again = dreaming.render(frame(t_s=1.0, beats=2.0), dreaming.new_state(), 30.0,
                            base={**params, "fx.dream": 1.0}).image  # fmt: skip
    assert (off == without).all()
    assert abs(on.astype(int) - off.astype(int)).mean() > 1.0 and (on == again).all()


def test_one_layer_a_beat_up_the_list_and_back(net):
    dreaming = renderer(DreamSpec(net=str(net), layers=["conv1", "conv2", "conv3"],
                                  layer_loop="beat"))  # fmt: skip
    visited = [dreaming.dream.layers_at(b + 0.5, 0)[0] for b in range(6)]
    assert visited == ["conv1", "conv2", "conv3", "conv2", "conv1", "conv1"]  # seed 004 order


def test_what_cannot_dream_is_named(net, tmp_path):
    with pytest.raises(UserError, match="dream.layers: unknown layer 'conv7'"):
        renderer(DreamSpec(net=str(net), layers=["conv7"]))
    with pytest.raises(UserError, match="dream.net '.*nowhere.pt': not found"):
        renderer(DreamSpec(net=str(tmp_path / "nowhere.pt")))
