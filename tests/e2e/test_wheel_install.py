"""A non-editable install: the wheel built from this tree, installed into a fresh venv, run
as ``latentvj`` from another folder, finds its shipped presets, controller maps and the
beat model as package data, renders a clip and opens the window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.media import probe

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = (
    "app/presets/nebula-drift.json",
    "app/presets/controllers/8-knobs-8-faders.json",
    "app/audio/models/beat_activation.npz",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from the test venv's
    site-packages through a .pth line (plain paths there: its editable finder of this
    tree is not loaded), so nothing is downloaded but the build backend."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: setuptools' build/ in the tree may hold stale files
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", "build", ".git", "__pycache__", "*.egg-info", "renders"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((work / "dist").glob("latentvj-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert all(name in names for name in PACKAGE_DATA), names
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def run_installed(venv: Path, cwd: Path, *args: str, **env: str):
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [venv / "bin" / "latentvj", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**environ, **env},
    )


def test_the_installed_package_is_the_wheel_not_this_tree(installed, tmp_path):
    where = subprocess.run(
        [installed / "bin" / "python", "-c", "import app; print(app.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(installed), where


def test_the_installed_command_renders_a_shipped_preset_from_another_folder(installed, tmp_path):
    result = run_installed(
        installed,
        tmp_path,
        "render",
        "--preset",
        "crystal-kaleido",
        "-o",
        "clip.mp4",
        "--duration",
        "2",
        "--size",
        "160x90",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    info = probe(tmp_path / "clip.mp4")
    assert info.size == (160, 90) and info.frames == 60 and info.audio_codec == "aac"
    assert len(set(info.frame_hashes)) > 30  # moving pictures


def test_the_installed_command_opens_the_window_with_a_shipped_map_and_beat_model(
    installed, tmp_path
):
    result = run_installed(
        installed,
        tmp_path,
        "live",
        "--play",
        "--seconds",
        "3",
        "--beat-tracker",
        "learned",
        "--midi-map",
        "8-knobs-8-faders",
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "window open, 'nebula-drift'" in result.stdout
    assert "Traceback" not in result.stderr
