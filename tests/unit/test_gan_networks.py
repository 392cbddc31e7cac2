"""StyleGAN2/2-ADA/3 pickles and BigGAN-deep weights reproduce the real code's outputs
(reference files made by NVIDIA's code and pytorch_pretrained_biggan), and the W-space
controls do what they say."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.device import Placement
from app.engine.generators import BigGANGenerator, StyleGANGenerator
from app.engine.generators.stylegan import input_transform, layer_group_of
from app.engine.generators.stylegan_nets import truncate
from tests.gan_fixtures import (
    BIGGAN_FOLDER,
    FIXTURES,
    STYLEGAN_PICKLES,
    cases,
    meta,
    needs_fixtures,
    reference,
)

pytestmark = needs_fixtures
CPU32 = Placement(torch.device("cpu"), torch.float32)
WS_TOLERANCE, IMG_TOLERANCE = 1e-4, 2e-3


@pytest.fixture(scope="module", params=STYLEGAN_PICKLES)
def stylegan(request) -> tuple[str, StyleGANGenerator]:
    return request.param, StyleGANGenerator.from_file(FIXTURES / f"{request.param}.pkl", CPU32)


def max_error(a: torch.Tensor, b: np.ndarray) -> float:
    return float(np.abs(a.detach().float().numpy() - b).max())


@torch.inference_mode()
def test_every_reference_case_matches_the_real_code(stylegan):
    name, gen = stylegan
    ref = reference(name)
    for case in cases(ref):
        info = meta(ref, case)
        z, c = torch.from_numpy(ref[f"{case}_z"]), torch.from_numpy(ref[f"{case}_c"])
        ws = truncate(gen.ws(z, c if c.shape[1] else None), gen.mapping.w_avg, info["psi"])
        assert max_error(ws, ref[f"{case}_ws"]) <= WS_TOLERANCE, (name, case)
        transform = None
        if info.get("translate") is not None:
            transform = input_transform(*info["translate"], info["rotate_deg"])
        img = gen.synthesize(
            torch.from_numpy(ref[f"{case}_ws"]), info["noise_mode"], transform=transform
        )
        assert max_error(img, ref[f"{case}_img"]) <= IMG_TOLERANCE, (name, case)


@torch.inference_mode()
def test_style_mixing_by_layer_matches_the_real_code(stylegan):
    """The reference mixes ws of seed 0 (first split_layer layers) and seed 1 (the rest),
    both mapped with the first case's class."""
    name, gen = stylegan
    ref = reference(name)
    info = meta(ref, "mix")
    by_seed = {meta(ref, case)["seed"]: case for case in cases(ref)}
    c = torch.from_numpy(ref["case0_c"])
    ws_a, ws_b = (
        gen.ws(torch.from_numpy(ref[f"{by_seed[s]}_z"]), c if c.shape[1] else None)
        for s in (info["coarse_from_seed"], info["rest_from_seed"])
    )
    weights = (torch.arange(gen.num_ws) >= info["split_layer"]).float()
    mixed = ws_a.lerp(ws_b, weights[None, :, None])
    assert max_error(mixed, ref["mix_ws"]) <= WS_TOLERANCE
    assert max_error(gen.synthesize(mixed), ref["mix_img"]) <= IMG_TOLERANCE


@torch.inference_mode()
def test_truncation_control_is_psi_around_w_avg_and_translate_moves_stylegan3():
    gen = StyleGANGenerator.from_file(FIXTURES / "stylegan3-t.pkl", CPU32)
    ref = reference("stylegan3-t")
    moved = next(c for c in cases(ref) if meta(ref, c).get("translate") is not None)
    info = meta(ref, moved)
    z = torch.from_numpy(ref[f"{moved}_z"])
    params = {
        "gan.truncation": info["psi"],
        "gan.translate.x": info["translate"][0],
        "gan.translate.y": info["translate"][1],
        "gan.rotate": info["rotate_deg"],
    }
    img = gen.draw_with(z, None, params)
    assert max_error(img, np.clip(ref[f"{moved}_img"], -1, 1)) <= IMG_TOLERANCE
    still = gen.draw_with(z, None, {"gan.truncation": info["psi"]})
    assert float((still - img).abs().max()) > 0.1  # the transform moved the picture
    full_psi = gen.draw_with(z, None, {"gan.truncation": 0.0})  # psi 0: the average w
    other = gen.draw_with(torch.randn(1, 64), None, {"gan.truncation": 0.0})
    assert float((full_psi - other).abs().max()) < 1e-5


@torch.inference_mode()
def test_mixing_a_group_changes_only_that_groups_ws():
    gen = StyleGANGenerator.from_file(FIXTURES / "stylegan2.pkl", CPU32)
    z = torch.randn(1, 64, generator=torch.Generator().manual_seed(3))
    plain = gen.draw_with(z, None, {"gan.truncation": 1.0})
    fine = gen.draw_with(z, None, {"gan.truncation": 1.0, "gan.mix.fine": 1.0})
    coarse = gen.draw_with(z, None, {"gan.truncation": 1.0, "gan.mix.coarse": 1.0})
    assert float((plain - fine).abs().max()) > 1e-3
    assert float((plain - coarse).abs().max()) > float((plain - fine).abs().mean())
    groups = [layer_group_of(i, 18, stylegan3=False) for i in range(18)]
    assert groups[:4] == [0] * 4 and groups[4:8] == [1] * 4 and set(groups[8:]) == {2}


@torch.inference_mode()
def test_noise_modes_and_half_precision_run():
    gen = StyleGANGenerator.from_file(FIXTURES / "stylegan2-ada.pkl", CPU32)
    z = torch.randn(1, 64)
    for mode in (0.0, 1.0, 2.0):
        img = gen.draw_with(z, None, {"gan.noise.mode": mode, "gan.noise": 2.0})
        assert img.shape == (1, 3, 64, 64) and bool(torch.isfinite(img).all())
    half = StyleGANGenerator.from_file(
        FIXTURES / "stylegan2-ada.pkl", Placement(torch.device("cpu"), torch.float16)
    )
    assert float((half(z).float() - gen(z)).abs().max()) < 0.05


@pytest.fixture(scope="module")
def biggan() -> BigGANGenerator:
    return BigGANGenerator.from_folder(BIGGAN_FOLDER, CPU32)


@torch.inference_mode()
def test_biggan_cases_and_class_mix_match_the_real_code(biggan):
    ref = reference("biggan")
    for case in [*cases(ref), "mix"]:
        truncation = round(float(ref[f"{case}_truncation"]), 6)  # as the Python float given
        img = biggan.draw(
            torch.from_numpy(ref[f"{case}_z"]), torch.from_numpy(ref[f"{case}_y"]), truncation
        )
        assert max_error(img, ref[f"{case}_img"]) <= IMG_TOLERANCE, case
    assert np.count_nonzero(ref["mix_y"]) == 2


@torch.inference_mode()
def test_biggan_half_precision_that_overflows_falls_back_to_float32(biggan):
    half = BigGANGenerator.from_folder(BIGGAN_FOLDER, Placement(torch.device("cpu"), torch.float16))
    assert half.placement.dtype == torch.float32 and "overflowed" in half.description
    z = torch.randn(1, 128)
    assert float((half(z) - biggan(z)).abs().max()) < 1e-5


def _frame(beats: float, chroma: list[float], low: float = 0.0):
    from app.core.types import AnalysisFrame

    return AnalysisFrame(
        t_s=beats / 2,
        beats=beats,
        bpm=120,
        beat_phase=0,
        bar_phase=0,
        onset=0,
        is_beat=False,
        rms=0.1,
        bands=(low, 0, 0),
        chroma=tuple(chroma),
    )


def test_shipped_biggan_preset_routes_chroma_to_classes(registry):
    from app.core.presets import load_preset
    from app.engine.generators import with_model
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset("biggan-chroma", registry)
    patch = with_model(patch, BIGGAN_FOLDER)
    renderer = FrameRenderer(patch, registry, (64, 64), CPU32, preset_dir=path.parent)
    classes = patch.motion.classes.classes
    for pitch in (0, 4, 9):
        chroma = [0.0] * 12
        chroma[pitch] = 1.0
        params, z, y = renderer.motion_point(_frame(1.0, chroma), renderer.new_state())
        assert int(np.argmax(y)) == classes[pitch]
    frame = renderer.render(_frame(1.0, chroma), renderer.new_state(), fps=30)
    assert frame.image.shape == (64, 64, 3) and frame.image.std() > 1


def test_shipped_stylegan_preset_routes_the_bass_to_the_coarse_layers(registry):
    from app.core.presets import load_preset
    from app.engine.generators import with_model
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset("stylegan-layers", registry)
    renderer = FrameRenderer(
        with_model(patch, FIXTURES / "stylegan3-t.pkl"),
        registry,
        (64, 64),
        CPU32,
        preset_dir=path.parent,
    )
    quiet = renderer.effective_params(_frame(1.0, [0.0] * 12, low=0.0), renderer.new_state())
    loud = renderer.effective_params(_frame(1.0, [0.0] * 12, low=1.0), renderer.new_state())
    assert loud["gan.mix.coarse"] > quiet["gan.mix.coarse"] + 0.3
    assert loud["gan.mix.fine"] == pytest.approx(quiet["gan.mix.fine"])


@torch.inference_mode()
def test_motion_in_w_lerps_the_mapped_keyframes(registry):
    from app.core.presets import load_preset
    from app.engine.generators import W_PROGRESS, with_model
    from app.engine.renderer import FrameRenderer, mix_points

    patch, path = load_preset("stylegan-layers", registry)
    assert patch.motion.space == "w"
    renderer = FrameRenderer(
        with_model(patch, FIXTURES / "stylegan2.pkl"),
        registry,
        (64, 64),
        CPU32,
        preset_dir=path.parent,
    )
    beats = patch.motion.transition_beats * 1.5  # halfway through the second transition
    params, z, _ = renderer.motion_point(_frame(beats, [0.0] * 12), renderer.new_state())
    assert z.shape == (3, 64) and 0.3 < params[W_PROGRESS] < 0.7
    gen, scale = renderer.generator, params["motion.truncation"]
    rows = torch.from_numpy(z * scale).float()
    ws = gen.ws(rows[1:2]).lerp(gen.ws(rows[2:3]), params[W_PROGRESS])
    expected = gen.synthesize(truncate(ws, gen.mapping.w_avg, params["gan.truncation"]))
    drawn = renderer.generate(z, None, params) * 2 - 1  # back from [0, 1]
    assert float((drawn - expected.clamp(-1, 1)).abs().max()) < 1e-4
    z_only = renderer.generate(z[0], None, params) * 2 - 1
    assert float((z_only - drawn).abs().max()) > 1e-3  # slerp in z is another path
    # a crossfade from a point in W to one in z mixes row by row
    in_z = {k: v for k, v in params.items() if k != W_PROGRESS}
    mixed_params, mixed, _ = mix_points((params, z, None), (in_z, z[0], None), 0.5)
    assert mixed.shape == (3, 64)
    assert mixed_params[W_PROGRESS] == pytest.approx(0.5 * params[W_PROGRESS])
