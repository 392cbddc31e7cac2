"""Shared fixtures. The analysis cache goes to a per-run folder so tests never read a stale
cache and never write into the user's home; the run's folders are removed when it ends."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

_RUN_DIRS = {
    name: tempfile.mkdtemp(prefix=f"latentvj-test-{name}-")
    for name in ("cache", "config", "presets")
}
# before app imports; subprocesses inherit them
os.environ["LATENTVJ_CACHE_DIR"] = _RUN_DIRS["cache"]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # widget tests need no display
# the window's remembered settings and the user's presets: per run, never the real home
os.environ["XDG_CONFIG_HOME"] = _RUN_DIRS["config"]
os.environ["LATENTVJ_PRESETS_DIR"] = _RUN_DIRS["presets"]

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app.audio.demo_track import DemoTrack, synthesize  # noqa: E402
from app.engine.device import resolve_placement  # noqa: E402
from app.engine.param_specs import build_registry  # noqa: E402

_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's folders; then, when widget tests ran, end the process here with
    pytest's exit status. pytest-qt's QApplication lives until the interpreter exits, and
    PyQt's clean-up at exit is what crashed the desktop app now and then (see
    app.ui.app._exit_skipping_qt_teardown): a SIGSEGV after every test passed would fail CI
    for nothing. By now the summary is printed and every other plugin has unconfigured."""
    for folder in _RUN_DIRS.values():
        shutil.rmtree(folder, ignore_errors=True)
    if _exit_status and "PyQt6.QtWidgets" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])


@pytest.fixture(scope="session")
def demo_track() -> DemoTrack:
    return synthesize()


@pytest.fixture(scope="session")
def demo_features(demo_track):
    from app.audio.analysis import analyze
    from app.audio.loading import clip_from_array

    return analyze(clip_from_array(demo_track.samples, demo_track.sr, "demo"))


@pytest.fixture(scope="session")
def registry():
    return build_registry()


@pytest.fixture(scope="session")
def cpu():
    return resolve_placement("cpu")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
