"""Whether Qt's xcb platform plugin (the X11 window system) can load here, and which Debian
packages supply what it lacks. Imports no Qt: it runs before Qt would abort the process
with a message that names no package.

Qt 6.5+ links its xcb plugin against libxcb-icccm, libxcb-keysyms and friends, which a
minimal desktop or a fresh server may lack, and loads libxcb-cursor at run time (so ``ldd``
does not list it). ``python -m app.ui.qt_libs`` prints the missing packages as an apt
command and exits 1 (the Makefile's check before the tests).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# loaded with dlopen by the plugin at start-up, so ldd never reports it
RUNTIME_LIBRARIES = ("libxcb-cursor.so.0",)


@dataclass(frozen=True)
class QtLibsReport:
    """What ``ldd`` (and a dlopen probe) found for the xcb plugin."""

    plugin: Path | None
    missing: tuple[str, ...]

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(debian_package(lib) for lib in self.missing))

    @property
    def apt_command(self) -> str:
        return "sudo apt-get install " + " ".join(self.packages)


def xcb_plugin() -> Path | None:
    """PyQt6's bundled ``libqxcb.so``, found without importing Qt (None: not Linux, or
    PyQt6 not installed)."""
    spec = importlib.util.find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "Qt6" / "plugins" / "platforms" / "libqxcb.so"
        if candidate.is_file():
            return candidate
    return None


def debian_package(soname: str) -> str:
    """The Debian package of a shared library by Debian's naming policy:
    ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` ->
    ``libxkbcommon-x11-0`` (a dash when the name ends in a digit), lower case."""
    match = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not match:
        return soname.lower()
    name, major = match.group(1).lower(), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def missing_from_ldd(output: str) -> list[str]:
    """Libraries ``ldd`` printed as ``NAME => not found``, each once, in order."""
    return list(dict.fromkeys(re.findall(r"^\s*(\S+)\s*=>\s*not found", output, re.MULTILINE)))


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def check_xcb_plugin(plugin: Path | None = None) -> QtLibsReport:
    """The xcb plugin's missing libraries (linked ones by ``ldd``, run-time ones by a
    dlopen probe). An empty report where there is no xcb plugin or no ldd (not Linux)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return QtLibsReport(plugin, ())
    out = subprocess.run(
        [ldd, str(plugin)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    ).stdout
    missing = missing_from_ldd(out) + [lib for lib in RUNTIME_LIBRARIES if not _loadable(lib)]
    return QtLibsReport(plugin, tuple(missing))


def xcb_will_be_used() -> bool:
    """Whether Qt will pick its xcb plugin: on Linux with an X display, no Wayland session
    and no other platform asked for (QT_QPA_PLATFORM)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0] == "xcb"
    return (
        sys.platform.startswith("linux")
        and bool(os.environ.get("DISPLAY"))
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def xcb_problem() -> str | None:
    """One line naming what is missing and the apt command that installs it, or None."""
    report = check_xcb_plugin()
    if not report.missing:
        return None
    return (
        f"Qt's xcb platform plugin cannot load: {', '.join(report.missing)} "
        f"missing; install with: {report.apt_command}"
    )


def main() -> int:
    """``python -m app.ui.qt_libs``: exit 1 with the apt command when a library is missing."""
    problem = xcb_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"Qt xcb plugin: every library found ({xcb_plugin() or 'no xcb plugin here'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
