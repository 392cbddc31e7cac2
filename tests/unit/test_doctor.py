"""`latentvj doctor`: each check's pass and its fail. Absences this machine cannot make
(an old Python, a missing Qt library, an ffmpeg without libx264, PortAudio gone) are
stood in for by replacing the one probe the check calls; the rest are real."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from app import doctor
from app.core.errors import UserError
from app.ui.qt_libs import QtLibsReport, debian_package, missing_from_ldd

ROOT = Path(__file__).resolve().parents[2]


def test_python_passes_here_and_fails_below_3_11():
    assert doctor.check_python().level == "ok"
    old = doctor.check_python((3, 10, 12))
    assert old.level == "FAIL" and "3.10.12" in old.detail and old.fix


def test_torch_and_gpu_report_what_auto_would_choose(monkeypatch):
    assert doctor.check_torch().level == "ok"
    cpu = doctor.check_gpu()  # this machine has none: a warning, never a failure
    assert cpu.level == "warn" and "float32" in cpu.detail
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda _=0: "NVIDIA H200")
    gpu = doctor.check_gpu()
    assert gpu.level == "ok" and "H200" in gpu.detail and "float16" in gpu.detail


def test_debian_packages_follow_the_naming_policy():
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    assert debian_package("libdbus-1.so.3") == "libdbus-1-3"


def test_ldd_output_is_parsed_for_missing_libraries():
    out = (
        "\tlibxcb-icccm.so.4 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6\n"
        "\tlibxcb-keysyms.so.1 => not found\n\tlibxcb-icccm.so.4 => not found\n"
    )
    assert missing_from_ldd(out) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_qt_passes_with_every_library_and_fails_naming_the_apt_command(monkeypatch):
    assert doctor.check_qt().level == "ok"  # make test installed them
    import app.ui.qt_libs as qt_libs

    monkeypatch.setattr(
        qt_libs,
        "check_xcb_plugin",
        lambda plugin=None: QtLibsReport(
            Path("libqxcb.so"), ("libxcb-icccm.so.4", "libxcb-cursor.so.0")
        ),
    )
    found = doctor.check_qt()
    assert found.level == "FAIL"
    assert found.fix == "sudo apt-get install libxcb-icccm4 libxcb-cursor0"


def test_display_found_or_explained():
    assert doctor.check_display({"DISPLAY": ":99"}).detail == "DISPLAY=:99"
    none = doctor.check_display({})
    assert none.level == "warn" and "demo clip" in none.detail and none.fix


def test_audio_without_portaudio_or_inputs_is_a_warning_with_the_fix(monkeypatch):
    import app.audio.live_input as live_input

    here = doctor.check_audio()  # no sound card and no JACK server in this test
    assert here.level == "warn" and "no input devices" in here.detail

    def no_portaudio():
        raise UserError(
            "audio: PortAudio is not installed (libportaudio.so.2); on "
            "Debian/Ubuntu: apt-get install libportaudio2"
        )

    monkeypatch.setattr(live_input, "import_sounddevice", no_portaudio)
    gone = doctor.check_audio()
    assert gone.level == "warn" and "libportaudio2" in gone.fix


def test_midi_without_a_system_is_a_warning_with_the_fix():
    here = doctor.check_midi()  # no ALSA sequencer, no JACK server in this test
    assert here.level == "warn" and "compiled:" in here.detail and here.fix


def test_ffmpeg_passes_with_h264_and_fails_without(monkeypatch):
    assert doctor.check_ffmpeg().level == "ok"
    import app.engine.video_writer as video_writer

    monkeypatch.setattr(video_writer, "offered_codecs", lambda: ("h264",))
    partial = doctor.check_ffmpeg()
    assert partial.level == "warn" and "prores" in partial.detail and "hap" in partial.detail
    monkeypatch.setattr(video_writer, "offered_codecs", lambda: ())
    assert doctor.check_ffmpeg().level == "FAIL"


def test_a_folder_that_cannot_take_a_file_fails(tmp_path):
    assert doctor.check_folder("recordings", lambda: tmp_path).level == "ok"
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    found = doctor.check_folder("recordings", lambda: blocker)
    assert found.level == "FAIL" and "LATENTVJ_RECORDINGS_DIR" in found.fix


def test_a_check_that_raises_is_a_failure_not_a_crash(monkeypatch):
    def broken() -> doctor.Finding:
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(doctor, "check_ffmpeg", broken)
    out = io.StringIO()
    assert doctor.run_doctor(out) == 1
    assert "FAIL  ffmpeg" in out.getvalue() and "probe exploded" in out.getvalue()


@pytest.mark.slow
def test_doctor_command_exits_0_here_and_1_when_a_folder_is_unusable(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LATENTVJ_PRESETS_DIR": str(tmp_path / "presets"),
        "LATENTVJ_RECORDINGS_DIR": str(tmp_path / "rec"),
    }
    ok = subprocess.run(
        [sys.executable, "main.py", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    names = [line.split()[1] for line in ok.stdout.splitlines()[:-1]]
    assert names == [
        "python",
        "torch",
        "gpu",
        "qt",
        "display",
        "audio",
        "midi",
        "ffmpeg",
        "recordings",
        "presets",
    ]
    (tmp_path / "blocker").write_text("a file where a folder should be")
    env["LATENTVJ_RECORDINGS_DIR"] = str(tmp_path / "blocker" / "rec")
    bad = subprocess.run(
        [sys.executable, "main.py", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "FAIL  recordings" in bad.stdout
    assert "Traceback" not in bad.stderr
