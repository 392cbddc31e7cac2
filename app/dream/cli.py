"""``latentvj dream``: seed 004's DeepDream tool, its options by its names. Modes: ``all``
(extract, dream, assemble), ``extract``, ``dream``, ``assemble``; ``--single-picture``
dreams one picture once per layer; ``--list-layers`` names the network's layers."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.errors import UserError


def add_commands(sub) -> None:
    dream = sub.add_parser(
        "dream",
        help="DeepDream a video or a picture with a network you own (seed 004)",
        description="DeepDream (seed 004): gradient ascent on a network's layer activations, "
        "over octaves, frame by frame, each frame blended with the previous dreamed one. "
        "The network: --net, the discriminator of a latentvj DCGAN checkpoint (`train` "
        "writes one). Frames go to FRAMES/input and FRAMES/dreamed; a run that stops "
        "resumes where it was.",
    )
    dream.add_argument("video", nargs="?", type=Path, help="the video to dream (mode all, "
                       "extract, assemble)")  # fmt: skip
    dream.add_argument("--net", type=Path, required=True, metavar="CKPT|WEIGHTS|NAME",
                       help="the network to dream with: a latentvj DCGAN checkpoint or a "
                       "StyleGAN snapshot .pkl (their discriminators), torchvision's vgg16 / googlenet / inception_v3 "
                       "weights file, or one of those names (the torch hub cache)")  # fmt: skip
    dream.add_argument("--list-layers", action="store_true", help="name the layers and stop")
    dream.add_argument("--mode", choices=("all", "extract", "dream", "assemble"), default="all")
    dream.add_argument("-o", "--output", type=Path, help="the dreamed video (VIDEO_dream.mp4)")
    dream.add_argument("--frames", type=Path, help="frames folder (VIDEO_frames)")
    dream.add_argument("-sp", "--single-picture", type=Path, metavar="IMG",
                       help="dream this picture once per layer (into --frames or IMG_dream)")  # fmt: skip
    dream.add_argument("-l", "--layers", nargs="+", help="layers (all at once; with "
                       "--layer-loop one per frame, up the list and back; customloop: seed "
                       "004's GoogLeNet loop, inception4c up to 5b and back)")  # fmt: skip
    dream.add_argument("--layer-loop", action="store_true",
                       help="one layer per frame (seed 004's customloop)")  # fmt: skip
    dream.add_argument("-oct", "--octaves", type=_positive(int), default=4)
    dream.add_argument("-octs", "--octave-scale", type=_positive(float), default=1.4)
    dream.add_argument("-itr", "--iterations", type=_positive(int), default=10)
    dream.add_argument("-j", "--jitter", type=_natural, default=32)
    dream.add_argument("-s", "--step-size", type=_positive(float), default=1.5)
    dream.add_argument("-b", "--blend", default="0.5", type=_blend,
                       help="input frame share: a number 0-1, loop (0.5-1 and back), random")  # fmt: skip
    dream.add_argument("-gi", "--guide-image", type=Path, help="dream towards this picture")
    dream.add_argument("-sf", "--start-frame", type=_natural, help="first frame (from 1)")
    dream.add_argument("-ef", "--end-frame", type=_natural, help="last frame")
    dream.add_argument("-it", "--image-type", choices=("jpg", "png"), default="jpg")
    dream.add_argument("--seed", type=_natural, default=0)
    dream.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be above 0")
        return value

    return parse


def _natural(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 0 or more")
    return value


def _blend(text: str) -> str:
    import numpy as np

    from app.engine.dream import blend_values

    try:
        blend_values(text, 1, np.random.default_rng(0))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def cmd_dream(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from app.engine.dream import DreamSettings

    from app.engine.dream_nets import load_dream_net
    from .video import (
        DreamVideo,
        assemble,
        dream_frames,
        dream_picture,
        extract_frames,
        video_info,
    )

    net = load_dream_net(args.net)
    if args.list_layers:
        print("\n".join(net.layers))
        return 0
    layers = tuple(args.layers or [list(net.layers)[-1]])
    if layers == ("customloop",):  # seed 004's default: GoogLeNet's output layers, looped
        from app.engine.dream_zoo import CUSTOM_LOOP

        layers, args.layer_loop = CUSTOM_LOOP, True
    try:
        net.check_layers(layers)
    except ValueError as exc:
        raise UserError(f"--layers: {exc}") from None
    for picture in (args.guide_image, args.single_picture):
        if picture is not None and not picture.is_file():
            raise UserError(f"'{picture}': no such picture")
    settings = DreamSettings(args.octaves, args.octave_scale, args.iterations, args.jitter,
                             args.step_size)  # fmt: skip
    job = DreamVideo(net, layers, settings, args.blend, args.guide_image, args.layer_loop,
                     args.image_type, args.seed)  # fmt: skip
    steps = settings.octaves * settings.iterations
    if args.single_picture is not None:
        folder = args.frames or args.single_picture.with_name(f"{args.single_picture.stem}_dream")
        with tqdm(total=steps * len(layers), unit="step", desc="dream", disable=args.quiet,
                  dynamic_ncols=True, mininterval=0.5) as bar:  # fmt: skip
            for path in dream_picture(job, args.single_picture, folder, lambda: bar.update()):
                print(path)
        return 0
    if args.video is None:
        raise UserError("dream: give the VIDEO (or --single-picture IMG)")
    frames = args.frames or args.video.with_name(f"{args.video.stem}_frames")
    inputs, outputs = frames / "input", frames / "dreamed"
    output = args.output or args.video.with_name(f"{args.video.stem}_dream.mp4")
    if args.mode in ("all", "assemble"):
        _check_writable(output)  # before the long work, not after it
    if args.mode in ("all", "extract"):
        video_info(args.video)  # not a video: said before any folder is made
    if args.mode in ("all", "extract"):
        count = extract_frames(args.video, inputs, args.image_type)
        print(f"{count} frames in {inputs}")
    if args.mode in ("all", "dream"):
        count = len(list(inputs.glob(f"*.{args.image_type}")))
        if count == 0:
            raise UserError(f"'{inputs}': no {args.image_type} frames (run --mode extract)")
        first = max(1, args.start_frame or 1) - 1
        last = min(count, args.end_frame or count) - 1
        if first > last:
            raise UserError(f"--start-frame {first + 1} is after the last frame ({last + 1})")
        with tqdm(total=(last - first + 1) * steps, unit="step", desc="dream",
                  disable=args.quiet, dynamic_ncols=True, mininterval=0.5) as bar:  # fmt: skip
            done = dream_frames(job, inputs, outputs, first, last,
                                on_frame=lambda i: bar.update(steps * (i - first + 1) - bar.n),
                                on_step=lambda: bar.update())  # fmt: skip
        print(f"dreamed {done} frames into {outputs} ({last - first + 1 - done} were there)")
    if args.mode in ("all", "assemble"):
        if args.video is None:
            raise UserError("assemble: give the VIDEO whose rate and sound it takes")
        assemble(args.video, inputs, outputs, output, args.image_type)
        print(f"wrote {output}")
    return 0


def _check_writable(path: Path) -> None:
    """UserError naming ``path`` when its folder cannot take a new file."""
    import os

    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UserError(f"'{path}': cannot be written (no folder '{folder}' to write to)")
