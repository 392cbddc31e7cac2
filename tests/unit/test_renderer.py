"""The frame renderer: determinism and beat sync on the demo track."""

import hashlib

import numpy as np
import pytest

from app.audio.analysis import AnalysisTrack
from app.core.modulation import ModRoute
from app.core.patch import Patch
from app.core.presets import load_preset
from app.engine.renderer import FrameRenderer, fit_to_frame

FPS = 30.0


def render_hashes(patch, registry, cpu, frames, size=(96, 54)):
    renderer = FrameRenderer(patch, registry, size, cpu)
    state = renderer.new_state()
    return [
        hashlib.sha256(renderer.render(f, state, FPS).image.tobytes()).hexdigest() for f in frames
    ]


def test_same_inputs_give_bit_identical_frames(registry, cpu, demo_features):
    patch, _ = load_preset("bloom-chroma", registry)  # feedback, flicker, routes: all state
    frames = AnalysisTrack(demo_features).frames(4.0, 40, FPS)
    first = render_hashes(patch, registry, cpu, frames)
    assert first == render_hashes(patch, registry, cpu, frames)
    assert len(set(first)) == len(first)  # and the picture moves every frame
    other_seed = patch.model_copy(update={"seed": patch.seed + 1})
    assert render_hashes(other_seed, registry, cpu, frames[:3]) != first[:3]


def test_beat_driven_parameter_peaks_within_a_frame_of_each_true_beat(
    registry, cpu, demo_track, demo_features
):
    patch = Patch(
        name="beat",
        routes=[ModRoute(source="audio.beat", target="fx.flash", amount=1.0, decay_beats=0.1)],
    )
    renderer = FrameRenderer(patch, registry, (32, 18), cpu)
    state = renderer.new_state()
    start, count = 1.0, int(20 * FPS)
    frames = AnalysisTrack(demo_features).frames(start, count, FPS)
    flash = np.array([renderer.effective_params(f, state)["fx.flash"] for f in frames])
    times = np.array([f.t_s for f in frames]) - 0.5 / FPS  # when each frame goes on screen
    peaks = [
        i
        for i in range(1, count - 1)
        if flash[i] > flash[i - 1] and flash[i] >= flash[i + 1] and flash[i] > 0.5
    ]
    true_beats = demo_track.beat_times[
        (demo_track.beat_times > start + 0.1) & (demo_track.beat_times < times[-1] - 0.1)
    ]
    assert len(peaks) == len(true_beats)
    for beat in true_beats:
        nearest = min(abs(times[i] - beat) for i in peaks)
        assert nearest <= 1.0 / FPS, f"beat at {beat:.3f}s: nearest peak {nearest * 1e3:.0f} ms"


def test_every_shipped_preset_renders_moving_colourful_frames(registry, cpu, demo_features):
    """... the network presets (whose model the user brings) on the built-in look."""
    from app.core.presets import shipped_preset_names
    from app.engine.generators import with_missing_model_replaced

    frames = AnalysisTrack(demo_features).frames(10.0, 12, FPS)
    for name in shipped_preset_names():
        patch, path = load_preset(name, registry)
        network = patch.generator.kind != "field"
        patch, notice = with_missing_model_replaced(patch, path.parent)
        assert (notice is not None) == network, name
        renderer = FrameRenderer(patch, registry, (80, 46), cpu, preset_dir=path.parent)
        state = renderer.new_state()
        images = [renderer.render(f, state, FPS).image for f in frames]
        assert images[0].shape == (46, 80, 3) and images[0].dtype == np.uint8
        assert images[-1].std() > 10, name
        assert np.abs(images[-1].astype(int) - images[0].astype(int)).mean() > 1.0, name


@pytest.mark.parametrize(
    "fit,expected", [("cover", (3, 40, 80)), ("contain", (3, 40, 80)), ("stretch", (3, 40, 80))]
)
def test_fit_modes_produce_the_frame_size(fit, expected):
    import torch

    img = torch.ones(1, 3, 32, 32)
    out = fit_to_frame(img, (80, 40), fit)
    assert tuple(out.shape[1:]) == expected
    if fit == "contain":  # letterboxed: black bars left and right
        assert out[0, :, :, 0].max() == -1.0 and out[0, :, 20, 40].min() == 1.0
    if fit == "cover":
        assert out.min() == 1.0


def test_output_size_upscales_the_finished_frame(registry, cpu, demo_features):
    patch, _ = load_preset("nebula-drift", registry)
    renderer = FrameRenderer(patch, registry, (32, 18), cpu)
    frame = AnalysisTrack(demo_features).frames(5.0, 1, FPS)[0]
    small = renderer.render(frame, renderer.new_state(), FPS)
    big = renderer.render(frame, renderer.new_state(), FPS, output_size=(64, 36))
    assert big.image.shape == (36, 64, 3)
    assert abs(float(big.image.mean()) - float(small.image.mean())) < 3.0


class FullSize:
    """A field generator seen through the plain Generator protocol: it hands over the
    upscaled picture, so the renderer runs the effects at the full frame size."""

    def __init__(self, field) -> None:
        self.field = field
        for name in ("latent_dim", "class_dim", "native_size", "placement", "description"):
            setattr(self, name, getattr(field, name))

    def __call__(self, z, y=None):
        return self.field(z, y)


def test_effects_run_at_the_field_internal_size_and_the_frame_is_upscaled_once(
    registry, cpu, demo_features
):
    from app.engine.renderer import shares_latent_space

    patch, _ = load_preset("crystal-kaleido", registry)  # kaleidoscope, feedback, colour
    assert patch.generator.render_scale == 0.5
    small = FrameRenderer(patch, registry, (192, 108), cpu)
    assert small.work_size == (96, 54) and small.effects.size == (96, 54)
    full = FrameRenderer(patch, registry, (192, 108), cpu, generator=FullSize(small.generator))
    assert full.work_size == (192, 108)
    frames = AnalysisTrack(demo_features).frames(6.0, 16, FPS)
    small_state, full_state = small.new_state(), full.new_state()
    pairs = [
        (
            small.render(f, small_state, FPS).image.astype(np.float32),
            full.render(f, full_state, FPS).image.astype(np.float32),
        )
        for f in frames
    ]
    a, b = pairs[-1]
    assert a.shape == b.shape == (108, 192, 3)
    # the same picture, its effects at a quarter of the pixels: far closer to the full-size
    # frame than that is to the frame a quarter of a second before
    assert np.abs(a - b).mean() < 0.25 * np.abs(b - pairs[-9][1]).mean()
    # a fade between them cannot share one generator pass: their pictures differ in size
    assert not shares_latent_space(small, full)
