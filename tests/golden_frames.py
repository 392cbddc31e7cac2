"""Fingerprints of frames the engine draws today, to hold a refactor of the frame function
to them (issue 25): every shipped preset rendered on the demo track, and a performance
driven through the render worker as a replay drives it (flash, a preset crossfade, a
keyframe jump, freeze, blackout, a latent crossfade from a motion edit).

A fingerprint is a frame's 6x6 grid of block means per channel, to 0.1 of a level: any
change in what is drawn moves it by whole levels, while the last-bit differences another
CPU's float kernels may give stay below the test's tolerance.

    .venv/bin/python -m tests.golden_frames   # re-record tests/data/golden_frames.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden_frames.json"
SIZE, FPS, START_S, FRAMES, EVERY = (96, 54), 30.0, 8.0, 60, 5
FIXTURES = ROOT.parent / "shared" / "fixtures" / "gan-models"
NETWORK_MODELS = {
    "stylegan-layers": FIXTURES / "stylegan2.pkl",
    "biggan-chroma": FIXTURES / "biggan-deep-tiny",
}


def fingerprint(image: np.ndarray) -> list[float]:
    h, w, _ = image.shape
    grid = image[: h - h % 6, : w - w % 6].reshape(6, h // 6, 6, w // 6, 3).mean(axis=(1, 3))
    return [round(float(v), 1) for v in grid.ravel()]


def _frames(track_start: float, count: int):
    from app.audio.analysis import AnalysisTrack, analyze
    from app.audio.demo_track import demo_clip

    return AnalysisTrack(analyze(demo_clip())).frames(track_start, count, FPS)


def _renderer_factory(name: str, registry, placement):
    from app.core.presets import load_preset
    from app.engine.generators import with_missing_model_replaced, with_model
    from app.engine.renderer import FrameRenderer

    patch, path = load_preset(name, registry)
    if name in NETWORK_MODELS:
        patch = with_model(patch, NETWORK_MODELS[name])
    patch, _ = with_missing_model_replaced(patch, path.parent)

    def make(size):
        return FrameRenderer(patch, registry, size, placement, preset_dir=path.parent)

    return patch, make


def preset_fingerprints(name: str) -> list[list[float]]:
    """Every EVERY-th frame of FRAMES, from START_S into the demo track."""
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry

    registry = build_registry()
    _, make = _renderer_factory(name, registry, resolve_placement("cpu"))
    renderer = make(SIZE)
    state = renderer.new_state()
    images = [renderer.render(f, state, FPS).image for f in _frames(START_S, FRAMES)]
    return [fingerprint(image) for image in images[::EVERY]]


def performance_fingerprints() -> list[list[float]]:
    """A scripted performance through RenderWorker.render (the thread never starts)."""
    from app.core.mailbox import Mailbox
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.render_worker import RenderWorker

    registry, cpu = build_registry(), resolve_placement("cpu")
    _, make = _renderer_factory("nebula-drift", registry, cpu)
    worker = RenderWorker(
        make, SIZE, Mailbox(), FPS, auto_resolution=False, beat_aligned=False, onset_frames=False
    )
    bloom, _ = _renderer_factory("bloom-chroma", registry, cpu)
    edited = bloom.model_copy(
        update={
            "motion": bloom.motion.model_copy(
                update={"oscillate": bloom.motion.oscillate.model_copy(update={"amplitude": 0.5})}
            )
        }
    )

    def edit(size):  # a motion edit of the playing patch: a latent crossfade
        from app.core.presets import SHIPPED_PRESETS_DIR
        from app.engine.renderer import FrameRenderer

        return FrameRenderer(edited, registry, size, cpu, preset_dir=SHIPPED_PRESETS_DIR)

    script = {
        8: lambda: worker.trigger("flash"),
        16: lambda: worker.load(_renderer_factory("cell-strobe", registry, cpu)[1], 2.0, "beat"),
        40: lambda: worker.trigger("next_keyframe"),
        52: lambda: worker.trigger("freeze"),
        58: lambda: worker.trigger("freeze"),
        64: lambda: worker.trigger("blackout"),
        67: lambda: worker.trigger("blackout"),
        72: lambda: worker.load(_renderer_factory("bloom-chroma", registry, cpu)[1], 4.0, "bar"),
        100: lambda: worker.load(edit, 1.0, "now"),
    }
    out = []
    for k, analysis in enumerate(_frames(START_S, 120)):
        if k in script:
            script[k]()
        frame = worker.render(analysis)
        if k % 3 == 0:
            out.append(fingerprint(frame.image))
    return out


def record() -> dict:
    from app.core.presets import shipped_preset_names

    return {
        "presets": {name: preset_fingerprints(name) for name in shipped_preset_names()},
        "performance": performance_fingerprints(),
    }


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(), separators=(",", ":")) + "\n")
    print(f"wrote {GOLDEN}")
