"""Preset crossfade cost: render ms per frame while one preset plays, while it crossfades
into a preset on the same generator (latent space: one generator pass), and into a preset
on another generator (dissolve: both render), through the live RenderWorker's frame path.

    python bench/crossfade.py [--size 640x360]

Ratios are against the plain frame in the same run.
"""

from __future__ import annotations

import argparse

from _common import machine, table, time_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x360")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    from app.core.mailbox import Mailbox
    from app.core.presets import load_preset
    from app.core.types import AnalysisFrame
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.render_worker import RenderWorker
    from app.engine.renderer import FrameRenderer

    registry, cpu = build_registry(), resolve_placement("cpu")

    def factory(patch, path):
        return lambda s: FrameRenderer(patch, registry, s, cpu, preset_dir=path.parent)

    base, path = load_preset("nebula-drift", registry)
    same = base.model_copy(
        update={
            "seed": base.seed + 1,
            "generator": base.generator.model_copy(update={"seed": base.seed}),
        }
    )  # other keyframes, the same weights
    other, other_path = load_preset("cell-strobe", registry)
    beats = [0.0]

    def analysis():
        beats[0] += 0.001  # stays inside the fade
        b = 4.0 + beats[0]
        return AnalysisFrame(
            t_s=b / 2,
            beats=b,
            bpm=120.0,
            beat_phase=b % 1,
            bar_phase=(b / 4) % 1,
            onset=0.0,
            is_beat=False,
            rms=0.1,
            bands=(0.1, 0.1, 0.1),
            chroma=(0.0,) * 12,
        )

    rows, plain_ms = [], None
    for label, target in (
        ("one preset", None),
        ("crossfade, same generator (latent)", (same, path)),
        ("crossfade, other generator (dissolve)", (other, other_path)),
    ):
        worker = RenderWorker(factory(base, path), size, Mailbox(), fps=30.0, auto_resolution=False)
        worker.render(analysis())
        if target:
            worker.load(factory(*target), fade_beats=1000.0, quantize="now")
            worker.render(analysis())
        ms = time_ms(lambda: worker.render(analysis()))
        plain_ms = plain_ms or ms
        rows.append([label, f"{ms:.1f}", f"{ms / plain_ms:.2f}"])
    print(f"\nRender ms per frame at {size[0]}x{size[1]} on cpu - {machine()}\n")
    print(table(["frame", "ms/frame", "x one preset"], rows))


if __name__ == "__main__":
    main()
