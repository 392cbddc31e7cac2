import pytest
import torch

from app.core.patch import EffectsSpec
from app.engine.effects import Effects, EffectsState
from app.engine.param_specs import build_registry

SIZE = (64, 48)


def params(**overrides):
    values = build_registry().defaults()
    values.update({k.replace("_", "."): v for k, v in overrides.items()})
    return values


def image(seed=0):
    return torch.rand(1, 3, SIZE[1], SIZE[0], generator=torch.Generator().manual_seed(seed))


def run(spec=None, img=None, state=None, fps=30.0, **p):
    fx = Effects(spec or EffectsSpec(), SIZE, _cpu())
    return fx.apply(image() if img is None else img, params(**p), state or EffectsState(), fps)


def _cpu():
    from app.engine.device import resolve_placement

    return resolve_placement("cpu")


def test_defaults_leave_the_frame_unchanged():
    img = image()
    assert torch.allclose(run(img=img), img, atol=1e-6)


@pytest.mark.parametrize(
    "mode,dims", [("horizontal", [-1]), ("vertical", [-2]), ("quad", [-1, -2])]
)
def test_mirror_makes_the_frame_symmetric(mode, dims):
    out = run(EffectsSpec(mirror=mode))
    for d in dims:
        assert torch.equal(out, out.flip(d))


def test_kaleidoscope_has_n_fold_mirror_symmetry():
    fx = Effects(EffectsSpec(kaleidoscope=4), (64, 64), _cpu())
    out = fx.apply(torch.rand(1, 3, 64, 64), params(), EffectsState(), 30.0)
    # four segments: symmetric under a quarter turn, and mirrored inside each segment
    assert torch.allclose(out, torch.rot90(out, 1, dims=(-2, -1)), atol=1e-4)
    assert torch.allclose(out, out.flip(-1), atol=1e-4)
    assert (out - torch.rand(1, 3, 64, 64)).abs().mean() > 0.1


def test_feedback_blends_with_the_zoomed_previous_frame():
    state = EffectsState()
    first = image(1)
    run(img=first, state=state, fx_feedback_amount=0.5, fx_feedback_zoom=1.0)
    second = image(2)
    out = run(img=second, state=state, fx_feedback_amount=0.5, fx_feedback_zoom=1.0)
    assert torch.allclose(out, 0.5 * first + 0.5 * second, atol=1e-4)


def test_feedback_is_normalised_to_30_fps():
    """At 60 fps each frame keeps sqrt(amount), so a second of trails matches 30 fps."""
    state = EffectsState()
    black, white = torch.zeros(1, 3, SIZE[1], SIZE[0]), torch.ones(1, 3, SIZE[1], SIZE[0])
    run(img=white, state=state, fps=60.0, fx_feedback_amount=0.64, fx_feedback_zoom=1.0)
    out = run(img=black, state=state, fps=60.0, fx_feedback_amount=0.64, fx_feedback_zoom=1.0)
    assert out.mean() == pytest.approx(0.8, abs=1e-4)


def test_hue_rotation_turns_colours_and_a_full_turn_is_identity():
    red = torch.zeros(1, 3, SIZE[1], SIZE[0])
    red[:, 0] = 0.8
    turned = run(img=red, fx_hue_shift=120.0)
    assert turned[0, 1].mean() > turned[0, 0].mean()  # red moved towards green
    assert torch.allclose(run(img=red, fx_hue_shift=360.0), red, atol=1e-5)


def test_saturation_zero_is_grey():
    out = run(fx_saturation=0.0)
    assert torch.allclose(out[:, 0], out[:, 1], atol=1e-3)


def test_brightness_and_flash():
    assert run(fx_brightness=0.0).max() == 0.0
    assert torch.allclose(run(fx_flash=1.0), torch.ones(1, 3, SIZE[1], SIZE[0]))
    half = run(img=torch.zeros(1, 3, SIZE[1], SIZE[0]), fx_flash=0.5)
    assert half.mean() == pytest.approx(0.5)


def test_the_master_fader_darkens_the_output_but_not_the_feedback_memory():
    img, state = image(), EffectsState()
    half = run(img=img, state=state, out_master=0.5, fx_feedback_amount=0.5)
    full = run(img=img, state=EffectsState(), fx_feedback_amount=0.5)
    assert torch.allclose(half, 0.5 * full)
    black = run(img=img, out_master=0.0)
    assert float(black.max()) == 0.0
    after = run(img=image(1), state=state, fx_feedback_amount=0.5)  # master back up
    reference_state = EffectsState()
    run(img=img, state=reference_state, fx_feedback_amount=0.5)
    assert torch.allclose(after, run(img=image(1), state=reference_state, fx_feedback_amount=0.5))
