"""``train-video`` and ``compare-video``: the video GAN studio (seed 002) on the command
line, with ``train``'s conventions (progress bar with losses and ETA, resume, job files)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from app.core.errors import UserError, validation_message

from .video_config import VIDEO_FIELDS, VideoJob


def add_commands(sub) -> None:
    train = sub.add_parser(
        "train-video",
        help="train a video generator on your footage (3D U-Net / ResNet, seed 002)",
        description="Train a network that, given --frames-in frames of your footage, draws "
        "the next --frames-out ones: OUT/NAME.pt (playable as a 'continuation' layer), "
        "sample grids in OUT/NAME_samples/ and a timelapse of predictions OUT/NAME.mp4.",
    )
    what = train.add_mutually_exclusive_group(required=True)
    what.add_argument("--data", metavar="VIDEO|FOLDER", help="a video file or a folder of frames")
    what.add_argument("--jobs", type=Path, metavar="FILE",
                      help="CSV or YAML job file (a row per job: name, dataset, options)")  # fmt: skip
    train.add_argument("--name", help="job name (with --data)")
    train.add_argument("--out", type=Path, default=Path("training"),
                       help="folder for checkpoints, samples and videos (./training)")  # fmt: skip
    train.add_argument("--resume", type=Path, metavar="CKPT", help="continue from a checkpoint")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    train.add_argument("--checkpoint-every", type=int, default=500, metavar="STEPS")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    for name in VIDEO_FIELDS:
        info = VideoJob.model_fields[name]
        default = info.default if info.default is not None else "none"
        if isinstance(default, tuple):
            default = "x".join(str(v) for v in default)
        train.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="V",
                           help=f"{info.description or ''} (default {default})".strip())  # fmt: skip

    compare = sub.add_parser(
        "compare-video",
        help="a trained video generator beside the footage: original | predicted | difference",
        description="Original, predicted and difference side by side at the source's rate "
        "and frame count, with its sound. --mode next predicts each frame from the real "
        "ones before it; rollout feeds the model its own frames (re-seeded every "
        "--reseed-every frames).",
    )
    compare.add_argument("--model", type=Path, required=True, metavar="CKPT")
    compare.add_argument("--video", type=Path, required=True, metavar="V")
    compare.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.mp4")
    compare.add_argument("--mode", choices=["next", "rollout"], default="next")
    compare.add_argument("--reseed-every", type=int, default=0, metavar="FRAMES",
                         help="rollout: back to the real frames this often (0: never)")  # fmt: skip
    compare.add_argument("--height", type=int, default=256, metavar="PX",
                         help="scale the panels up to about this height (256)")  # fmt: skip
    compare.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    compare.add_argument("--no-progress", action="store_true", help="no progress bar")


def _job(args: argparse.Namespace) -> VideoJob:
    if not args.name:
        raise UserError("train-video: --name is required with --data")
    values = {n: getattr(args, n) for n in VIDEO_FIELDS if getattr(args, n) is not None}
    try:
        return VideoJob.model_validate({"name": args.name, "dataset": args.data, **values})
    except ValidationError as exc:
        raise UserError(f"train-video: --{validation_message(exc).replace('_', '-')}") from None


def _train_one(job: VideoJob, args: argparse.Namespace, resume: Path | None) -> None:
    from tqdm import tqdm

    from app.engine.device import resolve_placement

    from .cli import advance
    from .video_run import run_video_job

    placement = resolve_placement(args.device)
    with tqdm(unit="step", desc=job.name, disable=args.no_progress, dynamic_ncols=True,
              mininterval=0.5, delay=0.1) as bar:  # fmt: skip

        def on_step(done, total, losses) -> None:
            advance(bar, done, total, g_loss=f"{losses.generator:.3f}",
                    d_loss=f"{losses.discriminator:.3f}")  # fmt: skip

        result = run_video_job(job, args.out, placement, resume, args.checkpoint_every,
                               on_step, say=lambda line: print(line, file=sys.stderr))  # fmt: skip
    model, still = result.held_out
    print(f"held-out MSE: generator {model:.4f}, repeating the last frame {still:.4f}")
    losses = (f", g_loss {result.losses.generator:.3f}, d_loss {result.losses.discriminator:.3f}"
              if result.losses else "")  # fmt: skip
    print(f"wrote {result.checkpoint} (step {result.steps}, {result.windows} windows{losses}, "
          f"{result.steps_per_s:.2f} steps/s)")  # fmt: skip
    for path in [*result.videos, *result.grids[-1:]]:
        print(f"wrote {path}")


def cmd_train_video(args: argparse.Namespace) -> int:
    from .jobs import training_command

    return training_command(args, "train-video", VideoJob, _job,
                            lambda job, resume: _train_one(job, args, resume))  # fmt: skip


def cmd_compare_video(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.engine.device import resolve_placement

    from .compare_video import Comparison

    if args.reseed_every < 0 or not 16 <= args.height <= 4320:
        raise UserError("compare-video: --reseed-every must be 0 or more, --height 16 to 4320")
    comparison = Comparison(args.model, args.video, args.output, resolve_placement(args.device),
                            args.mode, args.reseed_every, args.height)  # fmt: skip
    with tqdm(total=comparison.frames, unit="frame", disable=args.no_progress,
              dynamic_ncols=True, mininterval=0.5) as bar:  # fmt: skip
        frames = comparison.run(lambda done, total: bar.update(done - bar.n))
    print(f"wrote {args.output} ({frames} frames)")
    return 0
