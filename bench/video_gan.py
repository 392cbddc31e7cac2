"""The video GAN studio's speed: training steps per second of seed 002's default 3D U-Net
(32 channels, 3 levels; mixed loss, batch 8) with T=8 given frames and K=1 predicted at
64x64 and 128x128, and the ResNet variant; and the live source (``continuation``): ms per
predicted frame and the layer's cost in a frame of nebula-drift at 320x180.

    python bench/video_gan.py [--device cpu|cuda] [--steps 6]

Footage: a moving square made here (the cost does not depend on what the frames show).
Ratios: a training step against the same run's DCGAN step (bench/train.py's 64x64, batch
9: what `train` pays), the layer against the same preset without it; both also against a
same-run CPU reference (1024^2 matmul). Peak memory of a step is what STEP_BYTES_PER_VALUE
in app/train/video_run.py estimates from.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import cpu_reference_ms, machine, steady_analysis, table, time_ms


def footage(folder: Path, size: int) -> Path:
    import numpy as np
    from PIL import Image

    folder.mkdir()
    for i in range(48):
        frame = np.zeros((size, size, 3), np.uint8)
        x = (3 * i) % (size - size // 4)
        frame[size // 3 : size // 2, x : x + size // 4] = 255
        Image.fromarray(frame).save(folder / f"{i:04d}.png")
    return folder


def trainer(folder: Path, size: int, arch: str, device: str, frames_in: int = 8,
            channels: int = 32):  # fmt: skip
    from app.engine.device import resolve_placement
    from app.train.sequences import load_sequences
    from app.train.video_config import VideoJob
    from app.train.video_trainer import VideoTrainer

    job = VideoJob(name="bench", dataset=str(folder), frames_in=frames_in, frames_out=1,
                   size=(size, size), arch=arch, channels=channels)  # fmt: skip
    seqs = load_sequences(folder, job.slider, job.size, validation=0.2, say=lambda line: None)
    return VideoTrainer(job, seqs, resolve_placement(device))


def dcgan_step_ms(device: str, steps: int) -> float:
    import torch

    from app.engine.device import resolve_placement
    from app.train.config import TrainConfig
    from app.train.dataset import Dataset
    from app.train.trainer import Trainer

    data = Dataset(torch.randint(0, 256, (64, 3, 64, 64), dtype=torch.uint8))
    dcgan = Trainer(TrainConfig(name="b", dataset=["x"]), data, resolve_placement(device))
    return time_ms(dcgan.step, warmup=2, min_runs=steps, min_seconds=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()

    import torch

    from app.core.patch import LayerSpec
    from app.core.presets import load_preset
    from app.engine.continuation import Continuation, Cue
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer
    from app.train.video_run import step_bytes

    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    reference = cpu_reference_ms()
    dcgan = dcgan_step_ms(args.device, args.steps)
    train_rows, live_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (64, 128):
            folder = footage(Path(tmp) / f"square{size}", size)
            for arch in ("unet", "resnet"):
                t = trainer(folder, size, arch, args.device)

                def step(t=t) -> None:
                    t.step()
                    sync()

                ms = time_ms(step, warmup=1, min_runs=args.steps, min_seconds=0.0)
                train_rows.append([f"{size}x{size}", arch, f"{1e3 / ms:.2f}", f"{ms:.0f}",
                                   f"{ms / dcgan:.1f}", f"{ms / reference:.0f}",
                                   f"{step_bytes(t.job) / 2**20:.0f}"])  # fmt: skip
        for size, frames_in, channels in ((64, 8, 32), (128, 8, 32), (64, 4, 16), (32, 4, 16)):
            folder = Path(tmp) / f"square{size}"
            if not folder.exists():
                footage(folder, size)
            model = Path(tmp) / f"model{size}-{frames_in}-{channels}.pt"
            trainer(folder, size, "unet", args.device, frames_in, channels).save(model)
            source = Continuation(model, args.device)
            steps = iter(range(1, 10**6))

            def predict(s=source) -> None:
                s.frame_at(Cue(0, 0, next(steps), 0.0, 0))
                sync()

            ms = time_ms(predict)
            live_rows.append([f"U-Net {size}x{size}, T={frames_in}, {channels} channels",
                              "prediction", f"{ms:.1f}", f"{1e3 / ms:.0f}", "-",
                              f"{ms / reference:.2f}"])  # fmt: skip

        registry, placement = build_registry(), resolve_placement(args.device)
        patch, path = load_preset("nebula-drift", registry)
        analysis = steady_analysis()
        plain = None
        for label, layers in (("nebula-drift", []),
                              ("+ continuation (64x64, T=8)", [LayerSpec(source="continuation",
                                                            path=f"{tmp}/model64-8-32.pt")])):  # fmt: skip
            r = FrameRenderer(patch.model_copy(update={"layers": layers}), registry, (320, 180),
                              placement, preset_dir=path.parent)  # fmt: skip
            state = r.new_state()
            ms = time_ms(lambda r=r, s=state: r.render(analysis(), s, 30.0))
            plain = plain or ms
            live_rows.append(["320x180 frame", label, f"{ms:.1f}", f"{1e3 / ms:.0f}",
                              f"{ms / plain:.2f}", f"{ms / reference:.2f}"])  # fmt: skip
    print(f"\nVideo GAN studio on {args.device} - {machine()}")
    print(f"CPU reference (1024^2 matmul): {reference:.2f} ms; DCGAN step (64x64, batch 9): "
          f"{dcgan:.0f} ms\n")  # fmt: skip
    print("Training, T=8 given frames, K=1 predicted, batch 8, mixed loss:\n")
    print(table(["size", "generator", "steps/s", "ms/step", "x DCGAN step", "x reference",
                 "est. MB/step"], train_rows))  # fmt: skip
    print(
        "\nLive source: a prediction, and a frame with the layer on the offline path (every "
        "prediction on the render thread; live it runs on a thread of its own):\n"
    )
    print(table(["what", "", "ms", "per s", "x without", "x reference"], live_rows))


if __name__ == "__main__":
    main()
