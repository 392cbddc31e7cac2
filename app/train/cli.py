"""``train``, ``merge-timecuts`` and ``generate``: the training studio on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from app.core.errors import UserError, validation_message

from .config import MODEL_FIELDS, TrainConfig


def add_commands(sub, seed_type, size_type, fps_type) -> None:
    train = sub.add_parser(
        "train",
        help="train a DCGAN on your images or a video, filming a timelapse",
        description="Train a DCGAN (seed 000's parameters) on image folders or video files, "
        "streaming a timelapse of a fixed latent grid and writing OUT/NAME.pt, "
        "which the dcgan generator plays. Model options use seed 000's names.",
    )
    what = train.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--data",
        action="append",
        metavar="DIR|VIDEO",
        help="image folder (recursive) or video file; repeatable",
    )
    what.add_argument(
        "--jobs",
        type=Path,
        metavar="FILE",
        help="CSV or YAML job file (seed 000's columns); jobs run in turn",
    )
    train.add_argument("--name", help="job name (with --data)")
    train.add_argument(
        "--out",
        type=Path,
        default=Path("training"),
        help="folder for checkpoints and videos (./training)",
    )
    train.add_argument(
        "--resume", type=Path, metavar="CKPT", help="continue from a checkpoint (with --data)"
    )
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    train.add_argument("--checkpoint-every", type=int, default=500, metavar="STEPS")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="with --jobs: each job a Ray task (one GPU each where the cluster has them), "
        "on a local Ray or 'auto' / ray://HOST:PORT (pip install 'latentvj[ray]')",
    )
    for name in MODEL_FIELDS:
        info = TrainConfig.model_fields[name]
        default = info.default if info.default is not None else "none"
        train.add_argument(
            f"--{name}", metavar="V", help=f"{info.description or ''} (default {default})".strip()
        )

    merge = sub.add_parser(
        "merge-timecuts",
        help="join a job's timelapse time-cuts",
        description="Join each NAME_timecutNNNN.mp4 series in a folder "
        "into NAME.mp4 without re-encoding.",
    )
    merge.add_argument("folder", type=Path)

    generate = sub.add_parser(
        "generate",
        help="random images with their latent vectors, or a scripted animation",
        description="--random N: N images and their latent vectors (one JSON each, loadable "
        "as keyframes). --script FILE.json: seed 001's generation format "
        "(trained_model, base_dir, rand_seed, data with mode_num 1-13).",
    )
    how = generate.add_mutually_exclusive_group(required=True)
    how.add_argument("--random", type=int, metavar="N")
    how.add_argument("--script", type=Path, metavar="FILE.json")
    generate.add_argument(
        "--model",
        type=Path,
        help="StyleGAN .pkl, BigGAN folder, DCGAN "
        "checkpoint or TorchScript file (default: the preset's generator)",
    )
    generate.add_argument("--preset", default="nebula-drift")
    generate.add_argument(
        "-o",
        "--output",
        type=Path,
        help="folder for images, or a .mp4 for a script's video "
        "(default: ./generated, or the script's base_dir)",
    )
    generate.add_argument("--size", type=size_type, help="WxH (default: the model's size)")
    generate.add_argument("--fps", type=fps_type, default=24.0)
    generate.add_argument("--seed", type=seed_type, default=0)
    generate.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])


def job_from_args(args: argparse.Namespace) -> TrainConfig:
    values = {name: getattr(args, name) for name in MODEL_FIELDS if getattr(args, name) is not None}
    values = {k: (None if v == "none" else v) for k, v in values.items()}
    if not args.name:
        raise UserError("train: --name is required with --data")
    try:
        return TrainConfig.model_validate({"name": args.name, "dataset": args.data, **values})
    except ValidationError as exc:
        raise UserError(f"train: --{validation_message(exc)}") from None


def advance(bar, done: int, total: int, **postfix: str) -> None:
    """Move a training run's step bar to ``done`` of ``total`` (its ETA from this run's
    pace: a resumed run starts the bar where it stopped), losses beside it."""
    if bar.total is None:
        bar.reset(total)
        bar.initial = bar.n = done - 1
    bar.update(done - bar.n)
    bar.set_postfix(postfix, refresh=False)


def _train_one(config: TrainConfig, args: argparse.Namespace, resume: Path | None) -> None:
    from tqdm import tqdm

    from app.engine.device import resolve_placement

    from .run import run_job

    placement = resolve_placement(args.device)
    print(
        f"latentvj: training '{config.name}' on {placement.label}: batch "
        f"{config.batch_size} ({config.grid_width}x{config.grid_height}), "
        f"{config.output_width}x{config.output_height}, timelapse "
        f"{config.timelapse_frames} frames",
        file=sys.stderr,
    )
    with (
        tqdm(
            unit="image",
            desc="loading",
            disable=args.no_progress,
            dynamic_ncols=True,
            mininterval=0.5,
            leave=False,
        ) as loading,
        tqdm(
            unit="step",
            desc=config.name,
            disable=args.no_progress,
            dynamic_ncols=True,
            mininterval=0.5,
            delay=0.1,
        ) as bar,
    ):

        def on_data(done, total):
            loading.total = total
            loading.update(done - loading.n)

        def on_step(done, total, losses):
            advance(bar, done, total, d_loss=f"{losses.d:.3f}", g_loss=f"{losses.g:.3f}")

        result = run_job(
            config, args.out, placement, resume, args.checkpoint_every, on_step, on_data
        )
    for path, reason in result.skipped:
        print(f"skipped '{path}': {reason}", file=sys.stderr)
    losses = (
        f", d_loss {result.losses.d:.3f}, g_loss {result.losses.g:.3f}" if result.losses else ""
    )
    print(
        f"wrote {result.checkpoint} (step {result.steps}, {result.images} images"
        f"{losses}, {result.steps_per_s:.2f} steps/s)"
    )
    for video in result.videos:
        print(f"wrote {video}")


def cmd_train(args: argparse.Namespace) -> int:
    from .jobs import training_command

    return training_command(args, "train", TrainConfig, job_from_args,
                            lambda config, resume: _train_one(config, args, resume))  # fmt: skip


def cmd_merge(args: argparse.Namespace) -> int:
    from .timelapse import merge_timecuts

    for path in merge_timecuts(args.folder):
        print(f"wrote {path}")
    return 0


def _renderer(args: argparse.Namespace, model: Path | None):
    """A renderer of the preset's generator, or of ``model`` (a StyleGAN pickle, a BigGAN
    folder, a DCGAN checkpoint, else a TorchScript file), at --size or the model's own size;
    parameters at their defaults."""
    from app.core.patch import GeneratorSpec
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, preset_path = load_preset(args.preset, registry)
    placement = resolve_placement(args.device)
    patch = patch.model_copy(update={"params": {}, "routes": []})
    generator = None  # model files draw at their own size: built once, kept
    if model is not None:
        from app.engine.generators import build_generator, model_kind

        kind = model_kind(model)
        for kind in ("dcgan", "torchscript") if kind in ("dcgan", "torchscript") else (kind,):
            spec = GeneratorSpec(kind=kind, path=str(model.resolve()))
            try:
                generator = build_generator(spec, (64, 64), placement, 0)
                break
            except UserError as exc:
                if kind != "dcgan" or "not a latentvj DCGAN checkpoint" not in str(exc):
                    raise
        motion = patch.motion.model_copy(update={"vectors": None, "keyframes_file": None})
        patch = patch.model_copy(update={"generator": spec, "motion": motion})
    size = args.size or getattr(generator, "native_size", None) or (512, 512)
    return FrameRenderer(
        patch, registry, tuple(size), placement, preset_dir=preset_path.parent, generator=generator
    )


def _folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"generate: output folder '{path}': {exc.strerror}") from None
    return path


def cmd_generate(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from .timelapse import write_png

    from app.core.keyframes import save_keyframes
    from app.engine.seed_images import latent_images, seed_images

    if args.random is not None:
        if not 1 <= args.random <= 100_000:
            raise UserError("generate: --random N must be 1 to 100000")
        renderer = _renderer(args, args.model)
        out = _folder(args.output or Path("generated"))
        # numbering goes on after images already there: earlier picks are never replaced
        first = 1 + max(
            (int(p.stem[8:]) for p in out.glob("RandGen_*.png") if p.stem[8:].isdigit()), default=-1
        )
        seeds = [int(s) for s in np.random.default_rng(args.seed).integers(0, 2**31, args.random)]
        model = args.model or f"preset {args.preset}"
        for i, (seed, z, image) in enumerate(
            tqdm(seed_images(renderer, seeds), total=len(seeds), unit="image")
        ):
            stem = out / f"RandGen_{first + i:05d}"
            write_png(stem.with_suffix(".png"), image)
            save_keyframes(
                stem.with_suffix(".json"),
                z[None, :],
                note=f"seed {seed}; {model}; {renderer.generator.description}",
            )
        print(f"wrote {len(seeds)} images and their latent vectors to {out}")
        return 0

    from app.engine.latent_script import load_script, script_vectors

    script = load_script(args.script)
    renderer = _renderer(args, args.model or script.trained_model)
    vectors = script_vectors(script, renderer.generator.latent_dim)
    images = tqdm(latent_images(renderer, vectors), unit="frame")
    out = args.output or script.base_dir
    if out.suffix.lower() == ".mp4":
        from app.engine.offline import check_output_path
        from app.engine.video_writer import VideoWriter

        check_output_path(out)
        w, h = renderer.size
        writer = VideoWriter(out, (w, h), args.fps).start()
        frames = 0
        try:
            for image in images:
                if not writer.write(image):
                    raise UserError(
                        f"generate '{out}': the encoder stopped "
                        f"({writer.failure() or 'no reason given'})"
                    )
                frames += 1
        finally:
            writer.close()
    else:
        if any(_folder(out).glob("frame_*.png")):
            raise UserError(f"generate: '{out}' has frames already; empty it or give -o")
        frames = 0
        for frames, image in enumerate(images, start=1):
            write_png(out / f"frame_{frames:05d}.png", image)
    print(f"wrote {frames} frames to {out}")
    return 0
