"""The command line's grammar: every subcommand, option and value check of ``latentvj``
(``app.cli`` runs what it parses). A bad value is one line naming the option, exit 2."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import NoReturn


DEFAULT_PRESET = "nebula-drift"
DEFAULT_CONTROLLER_MAP = "8-knobs-8-faders"
DEMO_OUTPUT = Path("renders") / "demo.mp4"
MAX_SIDE = 7680
MODEL_HELP = (
    "play this network instead of the preset's generator: a StyleGAN2/3 .pkl, a "
    "BigGAN-deep folder, a DCGAN checkpoint or a TorchScript export"
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), as every latentvj user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT (e.g. 1280x720)")
    w, h = int(match.group(1)), int(match.group(2))
    if not (16 <= w <= MAX_SIDE and 16 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 16 to {MAX_SIDE} pixels")
    if w % 2 or h % 2:
        raise argparse.ArgumentTypeError(
            f"{text!r}: width and height must be even (H.264 with yuv420p colour)"
        )
    return w, h


def ranged(kind: type, low: float, high: float, low_open: bool = False):
    """An argparse type: a ``kind`` (int or float) in [low, high] (or (low, high])."""
    noun = "an integer" if kind is int else "a number"
    bound = f"above {low:g}" if low_open else f"at least {low:g}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if not (low < value if low_open else low <= value) or not value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: must be {bound} and at most {high:g}")
        return value

    return parse


parse_fps = ranged(float, 1.0, 240.0)
_non_negative = ranged(float, 0.0, 1e7)
_positive = ranged(float, 0.0, 1e7, low_open=True)
_seed = ranged(int, 0, 2**63 - 1)


def build_parser() -> argparse.ArgumentParser:
    from app.engine.video_writer import CODECS, QUALITY_PRESETS

    parser = _Parser(
        prog="latentvj",
        description="A video synthesizer played by music: "
        "a generator network's latent space as the instrument.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    render = sub.add_parser(
        "render",
        help="render a music-synced video from a song file",
        description="Render a music-synced H.264 MP4 with the song muxed.",
    )
    render.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        help=f"shipped preset name or JSON file (default {DEFAULT_PRESET})",
    )
    render.add_argument(
        "--audio", type=Path, help="wav, flac, ogg or mp3 (default: the built-in demo track)"
    )
    render.add_argument("-o", "--output", type=Path, required=True, help="output .mp4 file")
    render.add_argument("--size", type=parse_size, default=(640, 360), help="WxH (640x360)")
    render.add_argument("--fps", type=parse_fps, default=30.0, help="frames per second (30)")
    render.add_argument("--start", type=_non_negative, default=0.0, help="start, seconds")
    render.add_argument("--duration", type=_positive, help="seconds (default: to the end)")
    render.add_argument("--seed", type=_seed, help="override the preset's seed")
    render.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    render.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    render.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    render.add_argument(
        "--quality",
        default="standard",
        choices=sorted(QUALITY_PRESETS),
        help="encoder quality/speed (standard)",
    )
    render.add_argument("--no-progress", action="store_true", help="no progress bar")
    render.add_argument(
        "--replay",
        type=Path,
        metavar="LOG",
        help="re-render a recorded performance (its .performance.jsonl); "
        "--audio defaults to the recording's own sound",
    )
    render.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="render in chunks as Ray tasks: a local Ray with this machine's cores, or "
        "'auto' / ray://HOST:PORT for a running cluster (pip install 'latentvj[ray]')",
    )
    render.add_argument(
        "--chunk-seconds",
        type=ranged(float, 0.0, 3600.0, low_open=True),
        default=10.0,
        metavar="S",
        help="with --ray: seconds of video per task (10)",
    )

    live = sub.add_parser(
        "live",
        help="run the live engine (audio in, beat tracking, rendering)",
        description="Run the live engine in the performance window, or with --headless "
        "without one, printing a status line per second.",
    )
    live.add_argument(
        "--headless", action="store_true", help="no window: print a status line per second"
    )
    source = live.add_mutually_exclusive_group()
    source.add_argument("--audio-device", help="input device: index or name substring")
    source.add_argument(
        "--play",
        nargs="?",
        const="demo",
        metavar="FILE",
        help="play FILE (default: the demo track) and analyse it as input",
    )
    live.add_argument(
        "--channels",
        type=lambda t: [int(c) for c in t.split(",")],
        help="input channels to mix, 1-based, e.g. 1,2 (default: all)",
    )
    live.add_argument("--samplerate", type=ranged(int, 8000, 192000), help="input rate (Hz)")
    live.add_argument("--preset", default=DEFAULT_PRESET)
    live.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    live.add_argument("--seconds", type=_positive, help="stop after this long")
    live.add_argument("--fps", type=parse_fps, default=30.0)
    live.add_argument("--size", type=parse_size, default=(640, 360))
    live.add_argument(
        "--latency-ms",
        type=ranged(float, 0.0, 500.0),
        default=0.0,
        help="output latency after the frame is made (projector, capture "
        "chain): beats are predicted this much further ahead than the "
        "render time, which is measured and compensated on its own",
    )
    live.add_argument(
        "--beat-tracker",
        default="flux",
        choices=["flux", "learned", "madmom"],
        help="what beats are tracked on: spectral flux (default), latentvj's "
        "learned activation, or madmom's network (optional package; "
        "non-commercial models)",
    )
    live.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    live.add_argument(
        "--no-auto-resolution",
        action="store_true",
        help="always render at --size, even when frames run late",
    )
    live.add_argument(
        "--midi",
        action="append",
        metavar="PORT",
        default=[],
        help="MIDI input port name substring ('*': every port); repeatable",
    )
    live.add_argument(
        "--midi-map",
        default=DEFAULT_CONTROLLER_MAP,
        metavar="MAP",
        help=f"controller map: shipped name or JSON file (default {DEFAULT_CONTROLLER_MAP})",
    )
    live.add_argument("--midi-api", default="auto", choices=["auto", "alsa", "jack"])
    live.add_argument(
        "--osc-in",
        metavar="[HOST:]PORT",
        help="listen for OSC on PORT (127.0.0.1 unless HOST names another interface)",
    )
    live.add_argument(
        "--osc-out",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="send the beat clock, analysis, preset and parameter feedback as OSC; repeatable",
    )
    live.add_argument(
        "--osc-rate",
        type=ranged(float, 1.0, 240.0),
        metavar="HZ",
        help="OSC out bundles a second, at most the frame rate (default 30, or the frame "
        "rate when lower; beats go when they fall)",
    )
    live.add_argument(
        "--record",
        metavar="FILE",
        help="record the output with the input's sound to FILE (.mkv: "
        "survives a crash; .mp4 remuxed at the end; .mov)",
    )
    live.add_argument(
        "--record-size", type=parse_size, metavar="WxH", help="recording size (default: --size)"
    )
    live.add_argument(
        "--record-codec",
        default="h264",
        choices=list(CODECS),
        help="h264 (default), prores or hap (in .mkv or .mov)",
    )
    live.add_argument(
        "--record-quality",
        default="standard",
        choices=sorted(QUALITY_PRESETS),
        help="encoder quality/speed (standard)",
    )

    midi = sub.add_parser(
        "midi",
        help="list MIDI inputs or print what one sends",
        description="List MIDI input ports, or print the decoded messages "
        "a port sends as they arrive (Ctrl-C stops).",
    )
    action = midi.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="list MIDI input ports")
    action.add_argument("--monitor", metavar="PORT", help="port name substring ('*': all)")
    midi.add_argument("--seconds", type=_positive, help="stop monitoring after this long")
    midi.add_argument("--api", default="auto", choices=["auto", "alsa", "jack"])

    keyframes = sub.add_parser(
        "keyframes",
        help="save a preset's keyframes as JSON vectors",
        description="Write the latent keyframes a preset plays (drawn from its seed, or from "
        "its keyframes_file) as a JSON file that motion.keyframes_file can load.",
    )
    keyframes.add_argument("--preset", default=DEFAULT_PRESET)
    keyframes.add_argument("--seed", type=_seed, help="override the preset's seed")
    keyframes.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    keyframes.add_argument("-o", "--output", type=Path, required=True, help="output .json")

    models = sub.add_parser(
        "models",
        help="inspect a model file",
        description="Read a network file safely (nothing in it is run) and print what it is.",
    )
    models_sub = models.add_subparsers(dest="models_command", required=True, parser_class=_Parser)
    inspect = models_sub.add_parser(
        "inspect",
        help="family, resolution, z/w dims, classes, "
        "layers of a StyleGAN .pkl, BigGAN folder, DCGAN "
        "checkpoint or TorchScript export",
    )
    inspect.add_argument("model", metavar="FILE|FOLDER")

    sub.add_parser(
        "doctor",
        help="check what this machine offers latentvj, with fixes",
        description="Check Python, torch, GPU, Qt, display, audio, MIDI, ffmpeg "
        "and folders: one line each, with the fix. Exit 0 when the "
        "app can run, 1 when something it needs is missing.",
    )

    from app.dream.cli import add_commands as add_dream
    from app.train.cli import add_commands
    from app.train.video_cli import add_commands as add_video_studio

    add_commands(sub, _seed, parse_size, parse_fps)
    add_video_studio(sub)
    add_dream(sub)
    return parser
