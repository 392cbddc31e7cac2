"""Command line: ``latentvj render|live|midi|keyframes|train|merge-timecuts|generate ...``.

User errors print one line on stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from app.core.errors import UserError

from .cli_parser import DEFAULT_PRESET, DEMO_OUTPUT, build_parser


def cmd_keyframes(args: argparse.Namespace) -> int:
    from app.core.keyframes import save_keyframes
    from app.core.presets import load_preset
    from app.engine.device import resolve_placement
    from app.engine.param_specs import build_registry
    from app.engine.renderer import FrameRenderer

    registry = build_registry()
    patch, preset_path = load_preset(args.preset, registry)
    patch = playable_patch(patch, preset_path, args.model)
    renderer = FrameRenderer(
        patch,
        registry,
        (64, 36),
        resolve_placement("cpu"),
        seed=args.seed,
        preset_dir=preset_path.parent,
    )
    vectors = renderer.motion.keyframes
    save_keyframes(
        args.output,
        vectors,
        note=f"preset {patch.name}, seed {renderer.seed}, {renderer.generator.description}",
    )
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
        print(
            f"family      {kind}\nresolution  {generator.native_size[0]}x"
            f"{generator.native_size[1]}\nz dim       {generator.latent_dim}\n"
            f"classes     {generator.class_dim or 'unconditional'}"
        )
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

    with tqdm(
        total=job.preroll_frames + job.n_frames,
        unit="frame",
        desc="render",
        disable=quiet,
        dynamic_ncols=True,
        mininterval=0.5,
    ) as bar:
        return job.run(on_progress=lambda done, _total: bar.update(done - bar.n))


def cmd_replay(args: argparse.Namespace) -> int:
    from app.audio.loading import load_audio_file
    from app.engine.device import resolve_placement
    from app.engine.offline import check_output_path
    from app.engine.param_specs import build_registry
    from app.engine.replay import ReplayJob, ReplayRequest, load_performance
    from app.engine.video_writer import QUALITY_PRESETS

    given = [
        flag
        for flag, value, default in (
            ("--preset", args.preset, DEFAULT_PRESET),
            ("--seed", args.seed, None),
            ("--model", args.model, None),
            ("--start", args.start, 0.0),
            ("--duration", args.duration, None),
        )
        if value != default
    ]
    if given:  # the log holds the presets, seeds and timing the performance used
        raise UserError(
            f"render --replay: {', '.join(given)} cannot be used with a replay "
            "(it plays what the performance log recorded)"
        )
    check_output_path(args.output)
    audio = args.audio or load_performance(args.replay).recording()
    placement = resolve_placement(args.device, args.precision)
    request = ReplayRequest(
        log=args.replay,
        registry=build_registry(),
        clip=load_audio_file(audio),
        output=args.output,
        size=args.size,
        fps=args.fps,
        placement=placement,
        encoder=QUALITY_PRESETS[args.quality],
    )
    if args.ray:
        return render_with_ray(request, args)
    job = ReplayJob(request)
    print(
        f"latentvj: replaying '{args.replay}' with the sound of '{audio}' -> {args.output} "
        f"({args.size[0]}x{args.size[1]} @ {args.fps:g} fps, {placement.label}; "
        f"{len(job.perf.events)} events)",
        file=sys.stderr,
    )
    result = run_with_progress(job, args.no_progress)
    print(
        f"wrote {result.output} ({result.frames} frames, {result.duration_s:.2f} s, "
        f"{result.speed_x_realtime:.2f}x real time)"
    )
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
        patch=patch,
        registry=registry,
        clip=clip,
        output=args.output,
        size=args.size,
        fps=args.fps,
        start_s=args.start,
        duration_s=args.duration,
        seed=args.seed,
        placement=placement,
        preset_dir=preset_path.parent,
        encoder=QUALITY_PRESETS[args.quality],
    )
    if args.ray:
        return render_with_ray(request, args)
    job = RenderJob(request)
    print(
        f"latentvj: '{patch.name}' on '{clip.name}' -> {args.output} "
        f"({args.size[0]}x{args.size[1]} @ {args.fps:g} fps, {placement.label}; "
        f"{job.renderer.generator.description})",
        file=sys.stderr,
    )
    result = run_with_progress(job, args.no_progress)
    print(
        f"wrote {result.output} ({result.frames} frames, {result.duration_s:.2f} s at "
        f"{result.bpm:.1f} BPM, {result.speed_x_realtime:.2f}x real time)"
    )
    return 0


def render_with_ray(request, args: argparse.Namespace) -> int:
    """``render --ray``: the render in chunks on Ray, under one progress bar."""
    from tqdm import tqdm

    from app.cluster.ray_render import render_on_ray, replay_on_ray

    address = None if args.ray == "local" else args.ray
    what = f"replay of '{args.replay}'" if args.replay else f"'{request.patch.name}'"
    print(f"latentvj: {what} -> {args.output} in chunks of {args.chunk_seconds:g} s on Ray "
          f"({args.ray})", file=sys.stderr)  # fmt: skip
    with tqdm(total=None, unit="frame", desc="render", disable=args.no_progress,
              dynamic_ncols=True, mininterval=0.5) as bar:  # fmt: skip

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        run = replay_on_ray if args.replay else render_on_ray
        result = run(request, args.chunk_seconds, address, progress)
    print(f"wrote {result.output} ({result.frames} frames, {result.duration_s:.2f} s at "
          f"{result.bpm:.1f} BPM, {result.speed_x_realtime:.2f}x real time)")  # fmt: skip
    return 0


def cmd_train_on_ray(args: argparse.Namespace) -> int:
    """``train --jobs FILE --ray``: the job rows as Ray tasks."""
    from app.cluster.ray_train import train_jobs_on_ray
    from app.train.jobs import load_jobs

    if not args.jobs:
        raise UserError("--ray: goes with --jobs FILE (a single --data job runs here)")
    address = None if args.ray == "local" else args.ray
    return train_jobs_on_ray(list(load_jobs(args.jobs)), args.jobs, args.out,
                             args.checkpoint_every, args.device, address)  # fmt: skip


def cmd_live(args: argparse.Namespace) -> int:
    from app.live.engine import LiveOptions

    options = LiveOptions(
        preset=args.preset,
        audio_device=args.audio_device,
        play=args.play,
        channels=args.channels,
        samplerate=args.samplerate,
        fps=args.fps,
        size=args.size,
        latency_ms=args.latency_ms,
        beat_tracker=args.beat_tracker,
        device=args.device,
        auto_resolution=not args.no_auto_resolution,
        midi=args.midi,
        midi_map=args.midi_map,
        midi_api=args.midi_api,
        osc_in=args.osc_in,
        osc_out=args.osc_out,
        osc_rate=args.osc_rate,
        record=args.record,
        record_size=args.record_size,
        record_codec=args.record_codec,
        record_quality=args.record_quality,
        model=args.model,
    )
    if not args.headless:
        from app.ui.app import display_available, run_app

        if not display_available():
            raise UserError("live: no display to open the window on (no DISPLAY); use --headless")
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
        raise UserError(
            f"--monitor {args.monitor!r}: no MIDI input port matches (ports: "
            f"{', '.join(ports) or 'none'})"
        )
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
    print(
        "latentvj: no display to open the window on; rendering the demo clip instead",
        file=sys.stderr,
    )
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
        if args.command == "dream":
            from app.dream.cli import cmd_dream

            return cmd_dream(args)
        if args.command == "train" and args.ray:
            return cmd_train_on_ray(args)
        if args.command in ("train-video", "compare-video"):
            from app.train import video_cli

            if args.command == "train-video":
                return video_cli.cmd_train_video(args)
            return video_cli.cmd_compare_video(args)
        if args.command in ("train", "merge-timecuts", "generate"):
            from app.train import cli as studio

            return {
                "train": studio.cmd_train,
                "merge-timecuts": studio.cmd_merge,
                "generate": studio.cmd_generate,
            }[args.command](args)
        return cmd_default()
    except UserError as exc:
        print(f"latentvj: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("latentvj: interrupted", file=sys.stderr)
        return 130
