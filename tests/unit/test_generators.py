import json
import warnings

import pytest
import torch

from app.core.errors import UserError
from app.core.patch import GeneratorSpec
from app.engine.generators import build_generator
from app.engine.generators.dcgan import ACTIVATION_NAMES, DCGANConfig, DCGANPlayer, save_checkpoint
from app.engine.generators.field import LOOKS, FieldGenerator
from app.engine.generators.torchscript import TorchScriptGenerator


def z_batch(n=1, dim=64, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("size", [(640, 360), (256, 256), (100, 300), (33, 17)])
def test_field_renders_any_size_and_aspect_in_range(cpu, size):
    gen = FieldGenerator(size, cpu, look="nebula", seed=1)
    with torch.inference_mode():
        img = gen(z_batch(2))
    assert img.shape == (2, 3, size[1], size[0])
    assert img.min() >= -1.0 and img.max() <= 1.0


def test_field_looks_are_colourful_and_distinct(cpu):
    z = z_batch()
    images = {}
    with torch.inference_mode():
        for look in LOOKS:
            img = FieldGenerator((96, 64), cpu, look=look, seed=3)(z)
            assert img.std() > 0.15, look  # not flat
            chroma = (img.max(dim=1).values - img.min(dim=1).values).mean()
            assert chroma > 0.15, look  # colour, not grey
            images[look] = img
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert (images[a] - images[b]).abs().mean() > 0.1, (a, b)


def test_field_changes_smoothly_with_z(cpu):
    gen = FieldGenerator((128, 72), cpu, seed=2)
    z0, dz = z_batch(seed=0), z_batch(seed=1)
    with torch.inference_mode():
        base = gen(z0)
        small = (gen(z0 + 0.01 * dz) - base).abs().mean()
        medium = (gen(z0 + 0.1 * dz) - base).abs().mean()
        large = (gen(z_batch(seed=5)) - base).abs().mean()
    # continuous and locally linear: 10x the step gives about 10x the change, and a tiny
    # step changes the picture far less than a jump to another point
    assert 5.0 < medium / small < 15.0
    assert small < 0.1 * large and large > 0.2


def test_field_seed_and_shape_parameters_change_the_look(cpu):
    z = z_batch()
    with torch.inference_mode():
        a = FieldGenerator((64, 64), cpu, seed=1)(z)
        b = FieldGenerator((64, 64), cpu, seed=2)(z)
        c = FieldGenerator((64, 64), cpu, seed=1, overrides={"frequency": 4.0})(z)
        again = FieldGenerator((64, 64), cpu, seed=1)(z)
    assert torch.equal(a, again)
    assert (a - b).abs().mean() > 0.1 and (a - c).abs().mean() > 0.1


def test_field_says_when_it_renders_smaller_and_upscales(cpu):
    gen = FieldGenerator((640, 360), cpu, render_scale=0.5)
    assert gen.internal_size == (320, 180)
    assert "rendered at 320x180 and upscaled to 640x360" in gen.description
    with torch.inference_mode():
        small, big = gen.draw(z_batch()), gen(z_batch())
    assert small.shape == (1, 3, 180, 320) and big.shape == (1, 3, 360, 640)
    assert torch.allclose(
        torch.nn.functional.interpolate(
            small, size=(360, 640), mode="bilinear", align_corners=False
        ),
        big,
    )


@pytest.mark.parametrize(
    "name,reference",
    [
        ("sin", torch.sin),
        ("tanh", torch.tanh),
        ("gauss", lambda x: torch.exp(-x * x)),
        ("softsign", torch.nn.functional.softsign),
    ],
)
def test_field_activations_compute_their_functions_in_place(name, reference):
    from app.engine.generators.field import ACTIVATIONS

    x = torch.linspace(-6.0, 6.0, 2001)
    expected = reference(x)
    out = ACTIVATIONS[name](x)
    assert out.data_ptr() == x.data_ptr()  # no new buffer per layer
    assert torch.allclose(out, expected, atol=1e-6)


def test_unknown_field_look_is_a_user_error(cpu):
    with pytest.raises(UserError, match="unknown field look 'nope'"):
        FieldGenerator((64, 64), cpu, look="nope")


@pytest.mark.parametrize(
    "shape,message",
    [
        ({"widht": 3}, r"generator\.shape\.widht: unknown shape parameter"),
        ({"width": 2.5}, r"generator\.shape\.width: must be an integer"),
        ({"depth": 99}, r"generator\.shape\.depth: must be between 1 and 12"),
        ({"frequency": "high"}, r"generator\.shape\.frequency: must be a number"),
        ({"activations": ["sin", "relu"]}, r"generator\.shape\.activations: must be a list"),
        ({"palette": "neon"}, r"generator\.shape\.palette: must be 'cosine' or 'rgb'"),
    ],
)
def test_bad_shape_overrides_name_the_field(cpu, shape, message):
    with pytest.raises(UserError, match=message):
        FieldGenerator((64, 64), cpu, overrides=shape)


def test_shape_overrides_are_applied(cpu):
    gen = FieldGenerator(
        (64, 64),
        cpu,
        overrides={"width": 8, "depth": 2.0, "activations": ["gauss"], "palette": "rgb"},
    )
    assert gen.look.width == 8 and gen.look.depth == 2 and gen.look.activations == ("gauss",)
    with torch.inference_mode():
        assert gen(z_batch()).shape == (1, 3, 64, 64)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dcgan_builds_with_every_seed_activation(cpu, activation):
    cfg = DCGANConfig(
        activation_g=activation,
        nbr_of_layers_g=3,
        gf_dim=8,
        latent_dim=20,
        output_width=32,
        output_height=16,
        k_w=4,
        k_h=3,
    )
    gen = DCGANPlayer.random(cfg, cpu)
    with torch.inference_mode():
        out = gen(torch.randn(2, 20))
    assert out.shape == (2, 3, 16, 32) and out.abs().max() <= 1.0


@pytest.mark.parametrize("layers,batch_norm", [(2, False), (5, True)])
def test_dcgan_layer_count_and_batch_norm_are_configurable(cpu, layers, batch_norm):
    cfg = DCGANConfig(
        nbr_of_layers_g=layers, batch_norm_g=batch_norm, gf_dim=4, output_width=64, output_height=64
    )
    model = DCGANPlayer.random(cfg, cpu).model
    n_deconv = sum(isinstance(m, torch.nn.ConvTranspose2d) for m in model.modules())
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert n_deconv == layers - 1
    assert (n_bn > 0) == batch_norm


def test_dcgan_output_size_must_fit_the_layer_count():
    with pytest.raises(ValueError, match="divisible"):
        DCGANConfig(nbr_of_layers_g=5, output_width=360, output_height=360)


def test_dcgan_checkpoint_round_trip_embeds_its_config(cpu, tmp_path):
    cfg = DCGANConfig(
        nbr_of_layers_g=3,
        gf_dim=8,
        latent_dim=12,
        output_width=16,
        output_height=16,
        activation_g="elu",
    )
    original = DCGANPlayer.random(cfg, cpu, seed=4)
    path = tmp_path / "g.pt"
    save_checkpoint(path, original.model)
    loaded = build_generator(GeneratorSpec(kind="dcgan", path=str(path)), (16, 16), cpu, 0)
    z = torch.randn(3, 12)
    with torch.inference_mode():
        assert torch.equal(original(z), loaded(z))
    assert loaded.latent_dim == 12 and loaded.native_size == (16, 16)


def test_corrupt_checkpoint_is_refused_with_its_name(cpu, tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"\x80\x02not a checkpoint at all" * 10)
    with pytest.raises(UserError, match="broken.pt'.*not a readable torch checkpoint"):
        DCGANPlayer.from_checkpoint(path, cpu)


def test_checkpoint_of_another_architecture_is_refused(cpu, tmp_path):
    cfg = DCGANConfig(nbr_of_layers_g=3, gf_dim=8, output_width=16, output_height=16)
    model = DCGANPlayer.random(cfg, cpu).model
    path = tmp_path / "mismatch.pt"
    save_checkpoint(path, model)
    payload = torch.load(path, weights_only=True)
    payload["config"]["gf_dim"] = 16  # config says one network, weights are another
    torch.save(payload, path)
    with pytest.raises(UserError, match="weights do not match its config"):
        DCGANPlayer.from_checkpoint(path, cpu)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": model.state_dict()}, foreign)
    with pytest.raises(UserError, match="not a latentvj DCGAN checkpoint"):
        DCGANPlayer.from_checkpoint(foreign, cpu)


def jit_save(module: torch.nn.Module, path) -> None:
    with warnings.catch_warnings():  # deprecated in torch 2.13, still what users export
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module), str(path))


class _Unconditional(torch.nn.Module):
    def forward(self, z: torch.Tensor) -> torch.Tensor:
        img = torch.tanh(z[:, :3]).view(-1, 3, 1, 1).expand(-1, 3, 24, 40)
        return (img + 1.0) * 127.5  # a model whose output is 0..255


class _Conditional(torch.nn.Module):
    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.tanh(z[:, :3] + y[:, :3]).view(-1, 3, 1, 1).expand(-1, 3, 8, 8)


def test_torchscript_with_sidecar_maps_output_range(cpu, tmp_path):
    path = tmp_path / "model.pt"
    jit_save(_Unconditional(), path)
    (tmp_path / "model.json").write_text(
        json.dumps({"latent_dim": 7, "class_dim": 0, "output_range": [0, 255]})
    )
    gen = TorchScriptGenerator(path, cpu)
    assert gen.native_size == (40, 24) and gen.latent_dim == 7
    with torch.inference_mode():
        out = gen(torch.zeros(1, 7))
    assert torch.allclose(out, torch.zeros_like(out), atol=1e-6)


def test_torchscript_conditional_gets_class_vectors(cpu, tmp_path):
    path = tmp_path / "cond.pt"
    jit_save(_Conditional(), path)
    (tmp_path / "cond.pt.json").write_text(json.dumps({"latent_dim": 4, "class_dim": 5}))
    gen = TorchScriptGenerator(path, cpu)
    y = torch.zeros(1, 5)
    y[0, 0] = 1.0
    with torch.inference_mode():
        assert gen(torch.zeros(1, 4), y)[0, 0, 0, 0] == pytest.approx(
            float(torch.tanh(torch.tensor(1.0)))
        )


def test_exported_program_pt2_loads_with_the_same_sidecar(cpu, tmp_path):
    path = tmp_path / "exported.pt2"
    torch.export.save(
        torch.export.export(_Conditional(), (torch.zeros(1, 4), torch.zeros(1, 5))), str(path)
    )
    (tmp_path / "exported.json").write_text(json.dumps({"latent_dim": 4, "class_dim": 5}))
    gen = TorchScriptGenerator(path, cpu)
    assert gen.native_size == (8, 8) and gen.class_dim == 5


def test_torchscript_problems_name_the_file(cpu, tmp_path):
    path = tmp_path / "m.pt"
    jit_save(_Unconditional(), path)
    with pytest.raises(UserError, match="no sidecar JSON"):
        TorchScriptGenerator(path, cpu)
    (tmp_path / "m.json").write_text(json.dumps({"latent_dim": "big"}))
    with pytest.raises(UserError, match=r"m\.json'.*latent_dim"):
        TorchScriptGenerator(path, cpu)
    (tmp_path / "m.json").write_text(json.dumps({"latent_dim": 2}))
    with pytest.raises(UserError, match="test call with latent_dim=2"):
        TorchScriptGenerator(path, cpu)
    not_a_model = tmp_path / "x.pt"
    not_a_model.write_text("hello")
    (tmp_path / "x.json").write_text(json.dumps({"latent_dim": 7}))
    with pytest.raises(UserError, match="not a TorchScript file"):
        TorchScriptGenerator(not_a_model, cpu)
