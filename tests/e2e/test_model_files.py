"""Model files are untrusted input: pickles whose loading would run code are refused with
one line and exit 2, and their payload never runs; broken files and folders say what is
wrong and leave nothing behind. Every fixture network renders a clip."""

from __future__ import annotations

import builtins
import contextlib
import importlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.gan_fixtures import BIGGAN_FOLDER, FIXTURES, STYLEGAN_PICKLES, needs_fixtures
from tests.media import probe

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def latentvj(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


class Payload:
    """Pickles as a call of ``func(*args)``: what a malicious file does."""

    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@contextlib.contextmanager
def fake_persistence_module():
    """A stand-in ``torch_utils.persistence`` so pickle can name its reconstructor, as
    NVIDIA's files do (the test process never imports NVIDIA's code)."""
    package, module = types.ModuleType("torch_utils"), types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # never called: pickling only names it
        raise AssertionError

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    module._reconstruct_persistent_obj = _reconstruct_persistent_obj
    package.persistence = module
    sys.modules.update({"torch_utils": package, "torch_utils.persistence": module})
    try:
        yield _reconstruct_persistent_obj
    finally:
        del sys.modules["torch_utils"], sys.modules["torch_utils.persistence"]


def write_pickle(path: Path, obj) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=2))
    return path


def malicious_files(folder: Path, marker: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the refusal must name)."""
    touch = f"open({str(marker)!r}, 'w').write('ran')"
    files = {
        "os.system": (Payload(os.system, f"touch {marker}"), "posix.system"),
        "subprocess": (Payload(subprocess.call, ["touch", str(marker)]), "subprocess.call"),
        "exec": (Payload(builtins.exec, touch), "builtins.exec"),
        "eval": (Payload(builtins.eval, touch), "builtins.eval"),
        "import": (Payload(importlib.import_module, "antigravity"), "importlib.import_module"),
    }
    out = {
        name: (write_pickle(folder / f"{name}.pkl", {"G_ema": obj}), named)
        for name, (obj, named) in files.items()
    }
    with fake_persistence_module() as reconstruct:
        meta = {
            "type": "class",
            "version": 6,
            "class_name": "Payload",
            "state": {},
            "module_src": f"{touch}\nclass Payload:\n    pass\n",
        }
        out["persistence"] = (
            write_pickle(folder / "persistence.pkl", {"G_ema": Payload(reconstruct, meta)}),
            "Payload",
        )
        meta = {**meta, "class_name": "Generator"}
        out["persistence-generator"] = (
            write_pickle(
                folder / "persistence-generator.pkl", {"G_ema": Payload(reconstruct, meta)}
            ),
            "not a StyleGAN2/3 generator",
        )
    return out


@pytest.mark.parametrize(
    "name",
    ["os.system", "subprocess", "exec", "eval", "import", "persistence", "persistence-generator"],
)
def test_a_pickle_that_would_run_code_is_refused_and_its_payload_never_runs(name, tmp_path):
    marker = tmp_path / "payload-ran"
    path, named = malicious_files(tmp_path, marker)[name]
    for args in (
        ["models", "inspect", str(path)],
        ["render", "--model", str(path), "-o", "out.mp4", "--duration", "1"],
    ):
        result = latentvj(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0] and str(path) in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    assert not marker.exists()
    assert not (tmp_path / "out.mp4").exists()
    assert not list(tmp_path.glob("*.partial.*"))


def test_unpickling_in_process_never_calls_the_payload(tmp_path):
    from app.core.errors import UserError
    from app.engine.model_files import load_network_pickle

    marker = tmp_path / "payload-ran"
    for path, _ in malicious_files(tmp_path, marker).values():
        if "persistence" in path.name:  # read as data: refused later, by the generator
            record = load_network_pickle(path)["G_ema"]
            assert record.class_name in ("Payload", "Generator")
        else:
            with pytest.raises(UserError, match="refused: the file calls"):
                load_network_pickle(path)
    assert not marker.exists()


def test_older_protocols_bytes_and_sets_are_read(tmp_path):
    from app.engine.model_files import load_network_pickle

    path = write_pickle(tmp_path / "old.pkl", {"blob": b"\x00\xff", "names": {"a", "b"}})
    assert load_network_pickle(path) == {"blob": b"\x00\xff", "names": {"a", "b"}}


def test_a_global_naming_an_unimported_module_never_imports_it(tmp_path):
    """A plain unpickler imports whatever module a global names (antigravity opens a web
    browser when imported); the restricted one refuses before any import."""
    from app.core.errors import UserError
    from app.engine.model_files import load_network_pickle

    assert "antigravity" not in sys.modules
    path = tmp_path / "imports.pkl"
    path.write_bytes(b"cantigravity\ngeohash\n(tR.")
    with pytest.raises(UserError, match="refused: the file calls antigravity.geohash"):
        load_network_pickle(path)
    assert "antigravity" not in sys.modules


@needs_fixtures
def test_truncated_and_corrupt_pickles_and_broken_biggan_folders_say_what_is_wrong(tmp_path):
    data = (FIXTURES / "stylegan2.pkl").read_bytes()
    (tmp_path / "truncated.pkl").write_bytes(data[: len(data) // 2])
    (tmp_path / "corrupt.pkl").write_bytes(b"\x80\x02}q\x00garbage" + os.urandom(64))
    missing = tmp_path / "biggan-missing"
    missing.mkdir()
    shutil.copy(BIGGAN_FOLDER / "config.json", missing)
    mismatched = tmp_path / "biggan-mismatched"
    mismatched.mkdir()
    (mismatched / "pytorch_model.bin").symlink_to(BIGGAN_FOLDER / "pytorch_model.bin")
    config = (
        (BIGGAN_FOLDER / "config.json")
        .read_text()
        .replace('"channel_width": 8', '"channel_width": 16')
    )
    (mismatched / "config.json").write_text(config)
    expected = {
        "truncated.pkl": "truncated",
        "corrupt.pkl": "not a readable network pickle",
        "biggan-missing": "pytorch_model.bin is missing",
        "biggan-mismatched": "does not match config.json",
    }
    for name, says in expected.items():
        before = sorted(p.name for p in tmp_path.iterdir())
        result = latentvj(
            "render",
            "--model",
            str(tmp_path / name),
            "-o",
            "out.mp4",
            "--duration",
            "1",
            cwd=tmp_path,
        )
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], (name, result.stderr)
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


@needs_fixtures
@pytest.mark.parametrize("model", [*STYLEGAN_PICKLES, "biggan-deep-tiny"])
def test_every_fixture_network_renders_a_clip(model, tmp_path):
    path = FIXTURES / (model if model.startswith("biggan") else f"{model}.pkl")
    result = latentvj(
        "render",
        "--model",
        str(path),
        "--preset",
        "plasma-tunnel",
        "-o",
        "clip.mp4",
        "--duration",
        "2",
        "--fps",
        "12",
        "--size",
        "128x72",
        "--no-progress",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    info = probe(tmp_path / "clip.mp4")
    assert info.frames == 24 and info.size == (128, 72)
    assert len(set(info.frame_hashes)) > 12  # the network's picture moves with the music


@needs_fixtures
def test_models_inspect_prints_family_size_dims_classes_layers(tmp_path):
    result = latentvj("models", "inspect", str(FIXTURES / "stylegan2-ada-cond.pkl"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for line in (
        "family      StyleGAN2",
        "resolution  64x64",
        "z dim       64",
        "w dim       64",
        "classes     10",
        "layers      10 (10 ws)",
    ):
        assert line in result.stdout
    result = latentvj("models", "inspect", str(BIGGAN_FOLDER), cwd=tmp_path)
    assert "family      BigGAN-deep" in result.stdout and "classes     1000" in result.stdout


def test_a_preset_naming_a_missing_model_plays_the_built_in_look(tmp_path):
    preset = json.loads((ROOT / "app" / "presets" / "nebula-drift.json").read_text())
    preset["generator"].update(kind="stylegan", path="gone.pkl")
    (tmp_path / "shared.json").write_text(json.dumps(preset))
    result = latentvj(
        "render",
        "--preset",
        str(tmp_path / "shared.json"),
        "-o",
        "clip.mp4",
        "--duration",
        "1",
        "--size",
        "64x36",
        "--no-progress",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "model 'gone.pkl' not found; playing the built-in" in result.stderr
    assert probe(tmp_path / "clip.mp4").frames == 30


def test_saving_a_preset_whose_model_is_missing_keeps_the_model_it_names(tmp_path):
    """A shared preset plays on the built-in look without its network; a knob turned and
    the preset saved must not lose the network it names (presets survive mistakes)."""
    from app.live.engine import LiveEngine, LiveOptions

    preset = json.loads((ROOT / "app" / "presets" / "nebula-drift.json").read_text())
    preset["generator"].update(kind="stylegan", path="gone.pkl")
    (tmp_path / "shared.json").write_text(json.dumps(preset))
    engine = LiveEngine(LiveOptions(preset=str(tmp_path / "shared.json")))
    assert engine.patch.generator.kind == "field"
    assert any("gone.pkl" in text for _, text in engine.take_notices())
    engine.store.set("fx.hue.shift", 90.0, source="ui")
    engine.save_preset(tmp_path / "mine.json", "mine")
    saved = json.loads((tmp_path / "mine.json").read_text())
    assert saved["generator"]["kind"] == "stylegan" and saved["generator"]["path"] == "gone.pkl"
    assert saved["params"]["fx.hue.shift"] == 90.0
    assert not engine.is_dirty()
