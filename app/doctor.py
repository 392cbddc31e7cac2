"""``latentvj doctor``: what this machine offers latentvj, one line a check, each problem
with its fix. Exit 0 when the app can run (warnings allowed: no sound card, no MIDI device,
no GPU all leave a working app), 1 when something it needs is missing.

Every probe is a plain function so a test can stand in for an absence it cannot make.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.errors import UserError, describe

Level = Literal["ok", "warn", "FAIL"]
MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Finding:
    """One check's outcome: what was found, and how to fix it when it is not ok."""

    level: Level
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level:<4}  {self.name:<10} {self.detail}"
        return f"{text} -- fix: {self.fix}" if self.fix and self.level != "ok" else text


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Finding:
    shown = ".".join(map(str, version))
    if tuple(version[:2]) < MIN_PYTHON:
        return Finding(
            "FAIL",
            "python",
            f"{shown} (latentvj needs 3.11 or newer)",
            "install Python 3.11+ and run `make run` with PYTHON=python3.11",
        )
    return Finding("ok", "python", f"{shown} ({platform.machine()})")


def check_torch() -> Finding:
    try:
        import torch
    except ImportError as exc:
        return Finding(
            "FAIL",
            "torch",
            f"not importable ({describe(exc)})",
            "`make install` (installs torch first)",
        )
    return Finding("ok", "torch", f"{torch.__version__}, {torch.get_num_threads()} CPU threads")


def check_gpu() -> Finding:
    """The device and precision ``--device auto --precision auto`` would choose."""
    import torch

    from app.engine.device import resolve_placement

    placement = resolve_placement("auto", "auto")
    if placement.device.type == "cuda":
        name = torch.cuda.get_device_name(0)
        return Finding("ok", "gpu", f"CUDA: {name}; renders in {placement.label}")
    if placement.device.type == "mps":
        return Finding("ok", "gpu", f"Apple Metal (MPS); renders in {placement.label}")
    cuda_build = torch.version.cuda is not None
    why = "this torch has CUDA but sees no GPU" if cuda_build else "this torch is a CPU build"
    return Finding(
        "warn",
        "gpu",
        f"none ({why}); renders on the CPU in float32 (the "
        "built-in look runs live; big networks hold fewer fps)",
        "on an NVIDIA machine install a CUDA build of torch into .venv",
    )


def check_qt() -> Finding:
    """PyQt6 present, and its X11 (xcb) plugin's libraries all found."""
    import importlib.util

    from app.ui.qt_libs import check_xcb_plugin

    if importlib.util.find_spec("PyQt6") is None:
        return Finding("FAIL", "qt", "PyQt6 is not installed", "`make install`")
    report = check_xcb_plugin()
    if report.missing:
        return Finding(
            "FAIL",
            "qt",
            f"the xcb platform plugin lacks {', '.join(report.missing)}",
            report.apt_command,
        )
    where = "xcb plugin: every library found" if report.plugin else "no xcb plugin here"
    return Finding("ok", "qt", f"PyQt6 present; {where}")


def check_display(environ: dict[str, str] | None = None) -> Finding:
    from app.ui.app import display_variable

    found = display_variable(os.environ if environ is None else environ)
    if found:
        return Finding("ok", "display", found)
    return Finding(
        "warn",
        "display",
        "none: `main.py` renders the demo clip instead of opening the window",
        "run from a desktop session, or `live --headless` / `render`",
    )


def check_audio() -> Finding:
    """PortAudio, its host APIs and the input devices they offer."""
    from app.audio.live_input import import_sounddevice, list_input_devices

    try:
        sd = import_sounddevice()
    except UserError as exc:
        return Finding(
            "warn",
            "audio",
            str(exc).split(";")[0],
            "apt-get install libportaudio2 (the demo track plays meanwhile)",
        )
    apis = ", ".join(api["name"] for api in sd.query_hostapis()) or "none"
    inputs = list_input_devices()
    if not inputs:
        return Finding(
            "warn",
            "audio",
            f"host APIs: {apis}; no input devices (no sound card, "
            "no JACK or PulseAudio server): the demo track plays instead",
            "connect an interface, or start JACK / PulseAudio; `live --play FILE`",
        )
    names = "; ".join(f"{d.index}: {d.name} ({d.hostapi})" for d in inputs[:4])
    more = f" and {len(inputs) - 4} more" if len(inputs) > 4 else ""
    return Finding("ok", "audio", f"host APIs: {apis}; {len(inputs)} inputs: {names}{more}")


def check_midi() -> Finding:
    """rtmidi's compiled APIs and the input ports the first working one offers."""
    try:
        import rtmidi
    except ImportError as exc:
        return Finding(
            "warn", "midi", f"python-rtmidi not importable ({describe(exc)})", "`make install`"
        )
    from app.midi.ports import list_input_ports, resolve_api

    compiled = ", ".join(rtmidi.get_api_display_name(a) for a in rtmidi.get_compiled_api())
    try:
        api = resolve_api("auto")
        ports = list_input_ports(api)
    except UserError as exc:
        return Finding(
            "warn",
            "midi",
            f"compiled: {compiled}; {exc}",
            "load the ALSA sequencer (modprobe snd-seq) or start a JACK server",
        )
    if not ports:
        return Finding(
            "warn",
            "midi",
            f"compiled: {compiled}; {api}: no input ports",
            "plug in a controller (latentvj picks it up while running)",
        )
    return Finding(
        "ok", "midi", f"compiled: {compiled}; {api}: {len(ports)} inputs: " + "; ".join(ports[:4])
    )


def check_ffmpeg() -> Finding:
    """The bundled ffmpeg and the encoders recordings use (h264 needed; ProRes, HAP optional)."""
    from app.engine.video_writer import CODECS, ffmpeg_exe, offered_codecs

    try:
        exe = ffmpeg_exe()
        offered = offered_codecs()
    except (OSError, RuntimeError) as exc:
        return Finding(
            "FAIL",
            "ffmpeg",
            f"not usable ({describe(exc)})",
            "pip install --force-reinstall imageio-ffmpeg into .venv",
        )
    missing = [name for name in CODECS if name not in offered]
    found = ", ".join(f"{name} ({CODECS[name].encoder})" for name in offered) or "none"
    if "h264" in missing:
        return Finding(
            "FAIL",
            "ffmpeg",
            f"{exe}: no libx264 encoder (has: {found})",
            "pip install --force-reinstall imageio-ffmpeg into .venv",
        )
    if missing:
        return Finding(
            "warn",
            "ffmpeg",
            f"{exe}: {found}; no {', '.join(missing)}",
            "record with --record-codec h264",
        )
    return Finding("ok", "ffmpeg", f"{Path(exe).name}: {found}")


def check_folder(name: str, folder: Callable[[], Path]) -> Finding:
    """A folder latentvj writes (made when missing) takes a file."""
    try:
        path = folder()
        with tempfile.NamedTemporaryFile(dir=path, prefix=".latentvj-doctor-"):
            pass
    except OSError as exc:
        return Finding(
            "FAIL",
            name,
            f"not writable ({describe(exc)})",
            f"make it writable, or point {_FOLDER_VARIABLES[name]} elsewhere",
        )
    return Finding("ok", name, str(path))


_FOLDER_VARIABLES = {"recordings": "LATENTVJ_RECORDINGS_DIR", "presets": "LATENTVJ_PRESETS_DIR"}


def findings() -> Iterator[Finding]:
    """Every check in order; one that raises unexpectedly is reported as failed, by name."""
    from app.core.paths import user_presets_dir, user_recordings_dir

    checks: list[tuple[str, Callable[[], Finding]]] = [
        ("python", check_python),
        ("torch", check_torch),
        ("gpu", check_gpu),
        ("qt", check_qt),
        ("display", check_display),
        ("audio", check_audio),
        ("midi", check_midi),
        ("ffmpeg", check_ffmpeg),
        ("recordings", lambda: check_folder("recordings", user_recordings_dir)),
        ("presets", lambda: check_folder("presets", user_presets_dir)),
    ]
    for name, check in checks:
        try:
            yield check()
        except Exception as exc:  # a probe's own failure is a finding, not a crash
            yield Finding("FAIL", name, f"the check itself failed ({describe(exc)})")


def run_doctor(stream=None) -> int:
    """Print one line a check; 0 when nothing needed is missing, else 1."""
    stream = stream or sys.stdout
    failed = False
    for finding in findings():
        print(finding.line(), file=stream, flush=True)
        failed |= finding.level == "FAIL"
    print(
        "latentvj can run here"
        if not failed
        else "latentvj cannot run here yet: fix the FAIL lines above",
        file=stream,
    )
    return 1 if failed else 0
