"""Shared fixtures. The analysis cache goes to a per-run folder so tests never read a stale
cache and never write into the user's home."""

from __future__ import annotations

import os
import tempfile

_CACHE = tempfile.mkdtemp(prefix="latentvj-test-cache-")
os.environ["LATENTVJ_CACHE_DIR"] = _CACHE  # before app imports; subprocesses inherit it
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # widget tests need no display
# the window's remembered settings and the user's presets: per run, never the real home
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="latentvj-test-config-")
os.environ["LATENTVJ_PRESETS_DIR"] = tempfile.mkdtemp(prefix="latentvj-test-presets-")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app.audio.demo_track import DemoTrack, synthesize  # noqa: E402
from app.engine.device import resolve_placement  # noqa: E402
from app.engine.param_specs import build_registry  # noqa: E402


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
