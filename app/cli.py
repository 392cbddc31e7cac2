"""Command line: ``latentvj render|live|midi|keyframes|train|merge-timecuts|generate ...``.

User errors print one line on stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NoReturn

from app.core.errors import UserError

DEFAULT_PRESET = "nebula-drift"
DEFAULT_CONTROLLER_MAP = "8-knobs-8-faders"
DEMO_OUTPUT = Path("renders") / "demo.mp4"
MAX_SIDE = 7680
MODEL_HELP = ("play this network instead of the preset's generator: a StyleGAN2/3 .pkl, a "
              "BigGAN-deep folder, a DCGAN checkpoint or a TorchScript export")


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
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be even "
                                         "(H.264 with yuv420p colour)")
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

    parser = _Parser(prog="latentvj", description="A video synthesizer played by music: "
                     "a generator network's latent space as the instrument.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    render = sub.add_parser("render", help="render a music-synced video from a song file",
                            description="Render a music-synced H.264 MP4 with the song muxed.")
    render.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"shipped preset name or JSON file (default {DEFAULT_PRESET})")
    render.add_argument("--audio", type=Path,
                        help="wav, flac, ogg or mp3 (default: the built-in demo track)")
    render.add_argument("-o", "--output", type=Path, required=True, help="output .mp4 file")
    render.add_argument("--size", type=parse_size, default=(640, 360), help="WxH (640x360)")
    render.add_argument("--fps", type=parse_fps, default=30.0, help="frames per second (30)")
    render.add_argument("--start", type=_non_negative, default=0.0, help="start, seconds")
    render.add_argument("--duration", type=_positive, help="seconds (default: to the end)")
    render.add_argument("--seed", type=_seed, help="override the preset's seed")
    render.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    render.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    render.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    render.add_argument("--quality", default="standard", choices=sorted(QUALITY_PRESETS),
                        help="encoder quality/speed (standard)")
    render.add_argument("--no-progress", action="store_true", help="no progress bar")
    render.add_argument("--replay", type=Path, metavar="LOG",
                        help="re-render a recorded performance (its .performance.jsonl); "
                             "--audio defaults to the recording's own sound")

    live = sub.add_parser(
        "live", help="run the live engine (audio in, beat tracking, rendering)",
        description="Run the live engine in the performance window, or with --headless "
                    "without one, printing a status line per second.")
    live.add_argument("--headless", action="store_true",
                      help="no window: print a status line per second")
    source = live.add_mutually_exclusive_group()
    source.add_argument("--audio-device", help="input device: index or name substring")
    source.add_argument("--play", nargs="?", const="demo", metavar="FILE",
                        help="play FILE (default: the demo track) and analyse it as input")
    live.add_argument("--channels", type=lambda t: [int(c) for c in t.split(",")],
                      help="input channels to mix, 1-based, e.g. 1,2 (default: all)")
    live.add_argument("--samplerate", type=ranged(int, 8000, 192000), help="input rate (Hz)")
    live.add_argument("--preset", default=DEFAULT_PRESET)
    live.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    live.add_argument("--seconds", type=_positive, help="stop after this long")
    live.add_argument("--fps", type=parse_fps, default=30.0)
    live.add_argument("--size", type=parse_size, default=(640, 360))
    live.add_argument("--latency-ms", type=ranged(float, 0.0, 500.0), default=0.0,
                      help="output latency after the frame is made (projector, capture "
                           "chain): beats are predicted this much further ahead than the "
                           "render time, which is measured and compensated on its own")
    live.add_argument("--beat-tracker", default="flux", choices=["flux", "learned", "madmom"],
                      help="what beats are tracked on: spectral flux (default), latentvj's "
                           "learned activation, or madmom's network (optional package; "
                           "non-commercial models)")
    live.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    live.add_argument("--no-auto-resolution", action="store_true",
                      help="always render at --size, even when frames run late")
    live.add_argument("--midi", action="append", metavar="PORT", default=[],
                      help="MIDI input port name substring ('*': every port); repeatable")
    live.add_argument("--midi-map", default=DEFAULT_CONTROLLER_MAP, metavar="MAP",
                      help="controller map: shipped name or JSON file "
                           f"(default {DEFAULT_CONTROLLER_MAP})")
    live.add_argument("--midi-api", default="auto", choices=["auto", "alsa", "jack"])
    live.add_argument("--record", metavar="FILE",
                      help="record the output with the input's sound to FILE (.mkv: "
                           "survives a crash; .mp4 remuxed at the end; .mov)")
    live.add_argument("--record-size", type=parse_size, metavar="WxH",
                      help="recording size (default: --size)")
    live.add_argument("--record-codec", default="h264", choices=list(CODECS),
                      help="h264 (default), prores or hap (in .mkv or .mov)")
    live.add_argument("--record-quality", default="standard", choices=sorted(QUALITY_PRESETS),
                      help="encoder quality/speed (standard)")

    midi = sub.add_parser("midi", help="list MIDI inputs or print what one sends",
                          description="List MIDI input ports, or print the decoded messages "
                                      "a port sends as they arrive (Ctrl-C stops).")
    action = midi.add_mutually_exclusive_group(required=True)
    action.add_argument("--list", action="store_true", help="list MIDI input ports")
    action.add_argument("--monitor", metavar="PORT", help="port name substring ('*': all)")
    midi.add_argument("--seconds", type=_positive, help="stop monitoring after this long")
    midi.add_argument("--api", default="auto", choices=["auto", "alsa", "jack"])

    keyframes = sub.add_parser(
        "keyframes", help="save a preset's keyframes as JSON vectors",
        description="Write the latent keyframes a preset plays (drawn from its seed, or from "
                    "its keyframes_file) as a JSON file that motion.keyframes_file can load.")
    keyframes.add_argument("--preset", default=DEFAULT_PRESET)
    keyframes.add_argument("--seed", type=_seed, help="override the preset's seed")
    keyframes.add_argument("--model", metavar="FILE|FOLDER", help=MODEL_HELP)
    keyframes.add_argument("-o", "--output", type=Path, required=True, help="output .json")

    models = sub.add_parser("models", help="inspect a model file",
                            description="Read a network file safely (nothing in it is run) "
                                        "and print what it is.")
    models_sub = models.add_subparsers(dest="models_command", required=True,
                                       parser_class=_Parser)
    inspect = models_sub.add_parser("inspect", help="family, resolution, z/w dims, classes, "
                                    "layers of a StyleGAN .pkl, BigGAN folder, DCGAN "
                                    "checkpoint or TorchScript export")
    inspect.add_argument("model", metavar="FILE|FOLDER")

    sub.add_parser("doctor", help="check what this machine offers latentvj, with fixes",
                   description="Check Python, torch, GPU, Qt, display, audio, MIDI, ffmpeg "
                               "and folders: one line each, with the fix. Exit 0 when the "
                               "app can run, 1 when something it needs is missing.")

    from app.train.cli import add_commands

    add_commands(sub, _seed, parse_size, parse_fps)
    return parser


def cmd_keyframes(args: argparse.Namespace) -> int:
    from app.core.keyframes import save_keyframes
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, preset_path = load_preset(args.preset, registry)
    patch = playable_patch(patch, preset_path, args.model)
    renderer = FrameRenderer(patch, registry, (64, 36), resolve_placement("cpu"),
                             seed=args.seed, preset_dir=preset_path.parent)
    vectors = renderer.motion.keyframes
    save_keyframes(args.output, vectors,
                   note=f"preset {patch.name}, seed {renderer.seed}, "
                        f"{renderer.generator.description}")
    print(f"wrote {args.output} ({len(vectors)} keyframes of {vectors.shape[1]} dimensions)")
    return 0


def cmd_models_inspect(args: argparse.Namespace) -> int:
    from app.core.patch import GeneratorSpec
    from app.engine.device import resolve_placement
    from app.engine.generators import ControlledGenerator, build_generator, model_kind

    kind = model_kind(args.model)
    spec = GeneratorSpec(kind=kind, path=str(args.model))
    generator = build_generator(spec, (64, 64), resolve_placement("cpu"), seed=0)
    print(f"{args.model}: {generator.description}")
    if isinstance(generator, ControlledGenerator):
        print("\n".join(generator.info().lines()))
    else:
        print(f"family      {kind}\nresolution  {generator.native_size[0]}x"
              f"{generator.native_size[1]}\nz dim       {generator.latent_dim}\n"
              f"classes     {generator.class_dim or 'unconditional'}")
    return 0


def playable_patch(patch, preset_path: Path, model: str | None):
    """The preset with ``--model`` applied; a model file it names that is missing is
    replaced by the built-in look, with a notice on stderr."""
    from app.engine.generators import with_missing_model_replaced, with_model

    patch, missing = with_missing_model_replaced(with_model(patch, model), preset_path.parent)
    if missing:
        print(f"latentvj: {missing}", file=sys.stderr)
    return patch


def run_with_progress(job, quiet: bool):
    """Run a render or replay job under a progress bar with ETA (over every frame it draws:
    the pre-roll, then the frames it encodes)."""
    from tqdm import tqdm

    with tqdm(total=job.preroll_frames + job.n_frames, unit="frame", desc="render",
              disable=quiet, dynamic_ncols=True, mininterval=0.5) as bar:
        return job.run(on_progress=lambda done, _total: bar.update(done - bar.n))


def cmd_replay(args: argparse.Namespace) -> int:
    from app.audio.loading import load_audio_file
    from app.engine.device import resolve_placement
    from app.engine.offline import check_output_path
    from app.engine.param_specs import build_registry
    from app.engine.replay import ReplayJob, ReplayRequest, load_performance
    from app.engine.video_writer import QUALITY_PRESETS

    given = [flag for flag, value, default in (
        ("--preset", args.preset, DEFAULT_PRESET), ("--seed", args.seed, None),
        ("--model", args.model, None),
        ("--start", args.start, 0.0), ("--duration", args.duration, None))
        if value != default]
    if given:  # the log holds the presets, seeds and timing the performance used
        raise UserError(f"render --replay: {', '.join(given)} cannot be used with a replay "
                        "(it plays what the performance log recorded)")
    check_output_path(args.output)
    audio = args.audio or load_performance(args.replay).recording()
    placement = resolve_placement(args.device, args.precision)
    job = ReplayJob(ReplayRequest(
        log=args.replay, registry=build_registry(), clip=load_audio_file(audio),
        output=args.output, size=args.size, fps=args.fps, placement=placement,
        encoder=QUALITY_PRESETS[args.quality]))
    print(f"latentvj: replaying '{args.replay}' with the sound of '{audio}' -> {args.output} "
          f"({args.size[0]}x{args.size[1]} @ {args.fps:g} fps, {placement.label}; "
          f"{len(job.perf.events)} events)", file=sys.stderr)
    result = run_with_progress(job, args.no_progress)
    print(f"wrote {result.output} ({result.frames} frames, {result.duration_s:.2f} s, "
          f"{result.speed_x_realtime:.2f}x real time)")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from app.audio.demo_track import demo_clip
    from app.audio.loading import load_audio_file
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.offline import RenderJob, RenderRequest, check_output_path
    from app.engine.param_specs import build_registry
    from app.engine.video_writer import QUALITY_PRESETS

    registry = build_registry()
    check_output_path(args.output)
    patch, preset_path = load_preset(args.preset, registry)
    patch = playable_patch(patch, preset_path, args.model)
    placement = resolve_placement(args.device, args.precision)
    clip = load_audio_file(args.audio) if args.audio else demo_clip()
    request = RenderRequest(
        patch=patch, registry=registry, clip=clip, output=args.output, size=args.size,
        fps=args.fps, start_s=args.start, duration_s=args.duration, seed=args.seed,
        placement=placement, preset_dir=preset_path.parent,
        encoder=QUALITY_PRESETS[args.quality])
    job = RenderJob(request)
    print(f"latentvj: '{patch.name}' on '{clip.name}' -> {args.output} "
          f"({args.size[0]}x{args.size[1]} @ {args.fps:g} fps, {placement.label}; "
          f"{job.renderer.generator.description})", file=sys.stderr)
    result = run_with_progress(job, args.no_progress)
    print(f"wrote {result.output} ({result.frames} frames, {result.duration_s:.2f} s at "
          f"{result.bpm:.1f} BPM, {result.speed_x_realtime:.2f}x real time)")
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    from app.live.engine import LiveOptions

    options = LiveOptions(
        preset=args.preset, audio_device=args.audio_device, play=args.play,
        channels=args.channels, samplerate=args.samplerate, fps=args.fps, size=args.size,
        latency_ms=args.latency_ms, beat_tracker=args.beat_tracker, device=args.device,
        auto_resolution=not args.no_auto_resolution, midi=args.midi, midi_map=args.midi_map,
        midi_api=args.midi_api, record=args.record, record_size=args.record_size,
        record_codec=args.record_codec, record_quality=args.record_quality, model=args.model)
    if not args.headless:
        from app.ui.app import display_available, run_app

        if not display_available():
            raise UserError("live: no display to open the window on (no DISPLAY); use "
                            "--headless")
        defaults = LiveOptions()
        explicit = frozenset(k for k, v in vars(options).items() if v != getattr(defaults, k))
        return run_app(options, args.seconds, explicit)
    from app.live.headless import run_headless

    return run_headless(options, args.seconds)


def cmd_midi(args: argparse.Namespace) -> int:
    import threading
    import time

    from app.midi.messages import describe
    from app.midi.ports import MidiInputs, list_input_ports, matching

    ports = list_input_ports(args.api)
    if args.list:
        print("\n".join(ports) if ports else "no MIDI input ports")
        return 0
    if not matching(ports, args.monitor):
        raise UserError(f"--monitor {args.monitor!r}: no MIDI input port matches (ports: "
                        f"{', '.join(ports) or 'none'})")
    start = time.monotonic()

    def show(port: str, message, arrival: float) -> None:
        print(f"{arrival - start:9.3f}s  {port}  {describe(message)}", flush=True)
    inputs = MidiInputs([args.monitor], show, args.api).start()
    print(f"monitoring {', '.join(inputs.open_ports())}", flush=True)
    try:
        threading.Event().wait(args.seconds)  # until Ctrl-C, or for --seconds
    except KeyboardInterrupt:
        pass
    finally:
        inputs.stop()
    return 0


def cmd_default() -> int:
    """``python main.py`` with no command: the performance window with the default preset,
    on the live input or else the demo track. With no display to open it on, render the
    demo clip instead and say where it is."""
    from app.ui.app import display_available

    if display_available():
        return cmd_live(build_parser().parse_args(["live"]))
    DEMO_OUTPUT.parent.mkdir(exist_ok=True)
    args = build_parser().parse_args(["render", "-o", str(DEMO_OUTPUT), "--duration", "20"])
    print("latentvj: no display to open the window on; rendering the demo clip instead",
          file=sys.stderr)
    code = cmd_render(args)
    print(f"demo clip: {DEMO_OUTPUT.resolve()}")
    return code


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``latentvj`` console script."""
    import contextlib
    import faulthandler
    import signal

    # a crash in native code (Qt, torch, PortAudio) prints every thread's Python stack to
    # stderr instead of dying silently: what a bug report needs (a stderr that is not a
    # file, as under a test's capture, keeps what it has)
    if not faulthandler.is_enabled():
        with contextlib.suppress(AttributeError, ValueError, OSError):
            faulthandler.enable()
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM (a service manager, a test harness) stops as cleanly as Ctrl-C: audio and
    # MIDI clients are closed and a recording is finished instead of being cut off
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "render":
            return cmd_replay(args) if args.replay else cmd_render(args)
        if args.command == "keyframes":
            return cmd_keyframes(args)
        if args.command == "live":
            return cmd_live(args)
        if args.command == "midi":
            return cmd_midi(args)
        if args.command == "models":
            return cmd_models_inspect(args)
        if args.command == "doctor":
            from app.doctor import run_doctor

            return run_doctor()
        if args.command in ("train", "merge-timecuts", "generate"):
            from app.train import cli as studio

            return {"train": studio.cmd_train, "merge-timecuts": studio.cmd_merge,
                    "generate": studio.cmd_generate}[args.command](args)
        return cmd_default()
    except UserError as exc:
        print(f"latentvj: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("latentvj: interrupted", file=sys.stderr)
        return 130
