"""Video layer cost: decoding a clip at the layer's size (ffmpeg, sequential reads; a
backward seek that reopens the stream), blending one layer in torch, and a whole frame of
nebula-drift with a mixed layer beside the same preset without it.

    python bench/video_layers.py [--size 1280x720]

The test clip is ffmpeg's testsrc at 1280x720, 30 fps, H.264 (made in a temporary folder).
Ratios are against the frame without a layer in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _common import machine, steady_analysis, table, time_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    import imageio_ffmpeg
    import torch

    from app.core.patch import LayerSpec
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.layers import blend
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer
    from app.engine.video_sources import VideoClip

    registry, cpu = build_registry(), resolve_placement("cpu")
    with tempfile.TemporaryDirectory() as folder:
        clip_path = Path(folder) / "clip.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
             "-i", "testsrc=size=1280x720:rate=30:duration=20", "-c:v", "libx264",
             "-pix_fmt", "yuv420p", str(clip_path)],
            check=True,
        )  # fmt: skip
        clip = VideoClip(clip_path, size)
        position = [0.0]

        def sequential():
            position[0] += 1 / 30
            clip.frame_at(position[0])

        def backward_seek():
            position[0] = (position[0] + 7.3) % 19.0  # past the cache's reach: reopen
            clip._cache.clear()
            clip.frame_at(position[0])

        decode_ms = time_ms(sequential, min_runs=300, min_seconds=0.0)  # within the clip
        seek_ms = time_ms(backward_seek, warmup=1, min_runs=5, min_seconds=0.0)
        w, h = size
        base, layer = torch.rand(1, 3, h, w), torch.rand(1, 3, h, w)
        blend_ms = time_ms(lambda: blend(base, layer, "screen", 0.8))
        key_ms = time_ms(lambda: blend(base, layer, "luma_key", 0.8))

        patch, path = load_preset("nebula-drift", registry)
        layered = patch.model_copy(
            update={"layers": [LayerSpec(source="video", path=str(clip_path))]}
        )
        analysis = steady_analysis()

        rows, plain_ms = [], None
        for label, p in (("nebula-drift", patch), ("nebula-drift + video layer", layered)):
            renderer = FrameRenderer(p, registry, size, cpu, preset_dir=path.parent)
            state = renderer.new_state()
            ms = time_ms(lambda r=renderer, s=state: r.render(analysis(), s, 30.0))
            plain_ms = plain_ms or ms
            rows.append([label, f"{ms:.1f}", f"{ms / plain_ms:.2f}"])
        clip.close()
    print(f"\nVideo layer at {w}x{h} on cpu - {machine()}\n")
    print(table(["step", "ms"], [["decode, next frame", f"{decode_ms:.1f}"],
                                 ["decode, seek (reopen)", f"{seek_ms:.1f}"],
                                 ["blend (screen)", f"{blend_ms:.1f}"],
                                 ["blend (luma key)", f"{key_ms:.1f}"]]))  # fmt: skip
    print()
    print(table(["frame (offline: exact decode)", "ms/frame", "x without"], rows))


if __name__ == "__main__":
    main()
